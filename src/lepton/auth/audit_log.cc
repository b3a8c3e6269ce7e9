#include "lepton/auth/audit_log.h"

#include "lepton/base/strings.h"

#include "absl/strings/str_cat.h"
#include "lepton/base/crypto.h"
#include "lepton/base/json.h"
#include "lepton/base/status.h"

namespace lepton::auth {
namespace {

constexpr char kGenesis[] = "0000000000000000000000000000000000000000000000000000000000000000";
constexpr char kColumns[] =
    "seq, ts, actor, action, resource, outcome, request_id, detail, prev_hash, hash";

AuditEntry FromRow(const store::Row& r) {
  AuditEntry e;
  e.seq = r.Int(0);
  e.ts = r.String(1);
  e.actor = r.String(2);
  e.action = r.String(3);
  e.resource = r.String(4);
  e.outcome = r.String(5);
  e.request_id = r.String(6);
  e.detail = r.String(7);
  e.prev_hash = r.String(8);
  e.hash = r.String(9);
  return e;
}

}  // namespace

std::string AuditLog::ComputeHash(const AuditEntry& e, const std::string& prev_hash) {
  // An array fixes the field order, so the encoding is canonical.
  const Json fields = Json::array(
      {e.seq, e.ts, e.actor, e.action, e.resource, e.outcome, e.request_id, e.detail});
  return Sha256Hex(lepton::StrCat(prev_hash, "\n", DumpJson(fields)));
}

absl::StatusOr<AuditEntry> AuditLog::Append(AuditEntry entry) {
  entry.ts = FormatTimestamp(clock_.Now());
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    // The UPDATE takes the head's row lock (PostgreSQL) inside a write transaction (SQLite), so
    // concurrent appenders queue here and each sees the previous one's hash.
    LEPTON_ASSIGN_OR_RETURN(
        store::ResultSet head,
        tx.Query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash"));
    if (head.rows.size() != 1) return absl::InternalError("audit_head row is missing");
    entry.seq = head.rows[0].Int(0);
    entry.prev_hash = head.rows[0].String(1);
    entry.hash = ComputeHash(entry, entry.prev_hash);
    LEPTON_RETURN_IF_ERROR(tx.Exec(
        lepton::StrCat("INSERT INTO audit_log (", kColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        {entry.seq, entry.ts, entry.actor, entry.action, entry.resource, entry.outcome,
         entry.request_id, entry.detail, entry.prev_hash, entry.hash}));
    LEPTON_RETURN_IF_ERROR(tx.Exec("UPDATE audit_head SET hash = ? WHERE id = 1", {entry.hash}));
    return absl::OkStatus();
  }));
  return entry;
}

absl::StatusOr<std::vector<AuditEntry>> AuditLog::List(const AuditQuery& q) {
  std::string sql = lepton::StrCat("SELECT ", kColumns, " FROM audit_log WHERE seq > ?");
  std::vector<store::Value> params = {q.after_seq};
  if (!q.actor.empty()) {
    sql += " AND actor = ?";
    params.emplace_back(q.actor);
  }
  if (!q.action.empty()) {
    sql += " AND action = ?";
    params.emplace_back(q.action);
  }
  sql += " ORDER BY seq LIMIT ?";
  params.emplace_back(std::max<int64_t>(0, std::min<int64_t>(q.limit, 10000)));
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, store_.Query(sql, params));
  std::vector<AuditEntry> out;
  out.reserve(rs.rows.size());
  for (const store::Row& r : rs.rows) out.push_back(FromRow(r));
  return out;
}

absl::StatusOr<std::pair<int64_t, std::string>> AuditLog::Head() {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                          store_.Query("SELECT seq, hash FROM audit_head WHERE id = 1"));
  if (rs.rows.size() != 1) return absl::DataLossError("audit_head row is missing");
  return std::make_pair(rs.rows[0].Int(0), rs.rows[0].String(1));
}

absl::StatusOr<AuditVerifyReport> AuditLog::Verify() {
  AuditVerifyReport report;
  auto fail = [&](int64_t seq, std::string problem, std::string message) {
    report.ok = false;
    report.first_bad_seq = seq;
    report.problem = std::move(problem);
    report.message = std::move(message);
    return report;
  };
  // Read the head first: entries appended while we walk are beyond it and not judged.
  LEPTON_ASSIGN_OR_RETURN(auto head, Head());
  int64_t expected_seq = 1;
  std::string prev = kGenesis;
  constexpr int64_t kPage = 5000;
  int64_t after = 0;
  while (true) {
    LEPTON_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        store_.Query(lepton::StrCat("SELECT ", kColumns,
                                  " FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?"),
                     {after, head.first + 1, kPage}));
    for (const store::Row& r : rs.rows) {
      const AuditEntry e = FromRow(r);
      if (e.seq > head.first) {
        return fail(e.seq, "inserted",
                    lepton::StrCat("entry ", e.seq, " is beyond the chain head (", head.first,
                                 "): it was inserted"));
      }
      if (e.seq != expected_seq) {
        return fail(expected_seq, "deleted",
                    lepton::StrCat("entry ", expected_seq, " is missing: it was deleted"));
      }
      if (e.prev_hash != prev) {
        // The link to the predecessor is broken while the entry itself may hash correctly:
        // the entry was put in a place that was not its own.
        if (ComputeHash(e, e.prev_hash) == e.hash) {
          return fail(e.seq, "inserted",
                      lepton::StrCat("entry ", e.seq, " does not follow entry ", e.seq - 1,
                                   ": it was inserted"));
        }
        return fail(e.seq, "edited", lepton::StrCat("entry ", e.seq, " was edited"));
      }
      if (ComputeHash(e, prev) != e.hash) {
        return fail(e.seq, "edited", lepton::StrCat("entry ", e.seq, " was edited"));
      }
      prev = e.hash;
      ++expected_seq;
      ++report.entries;
      after = e.seq;
    }
    if (static_cast<int64_t>(rs.rows.size()) < kPage) break;
  }
  if (expected_seq - 1 != head.first) {
    return fail(expected_seq, "deleted",
                lepton::StrCat("entries ", expected_seq, " to ", head.first,
                             " are missing: they were deleted"));
  }
  if (prev != head.second) {
    return fail(head.first, "edited",
                lepton::StrCat("entry ", head.first, " does not match the chain head: it was edited"));
  }
  report.message = lepton::StrCat("audit log intact: ", report.entries, " entries");
  return report;
}

}  // namespace lepton::auth
