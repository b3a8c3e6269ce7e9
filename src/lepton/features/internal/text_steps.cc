// The sparse text encoders: TF-IDF over a vocabulary fitted on the training rows, and feature
// hashing (no vocabulary). Both follow scikit-learn's vectorizers (see text.h for tokenisation).

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/features/internal/json_util.h"
#include "lepton/features/internal/steps.h"
#include "lepton/features/text.h"

namespace lepton::features::internal {
namespace {

absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

enum class Norm { kNone, kL1, kL2 };

// Reads the options both encoders share.
void ReadTokenizer(Params* p, TokenizerOptions* t) {
  t->lowercase = p->Bool("lowercase", true);
  std::optional<Json> range = p->OptionalValue("ngram_range");
  if (range) {
    if (!range->is_array() || range->size() != 2 || !(*range)[0].is_number_integer() ||
        !(*range)[1].is_number_integer()) {
      p->Fail("ngram_range", "expected [min_n, max_n], two integers");
      return;
    }
    const auto lo = (*range)[0].get<int64_t>();
    const auto hi = (*range)[1].get<int64_t>();
    if (lo < 1 || hi < lo || hi > 8) {
      p->Fail("ngram_range", "expected 1 <= min_n <= max_n <= 8");
      return;
    }
    t->ngram_min = static_cast<int>(lo);
    t->ngram_max = static_cast<int>(hi);
  }
}

Norm ReadNorm(Params* p) {
  const std::string n = p->Enum("norm", {"l2", "l1", "none"}, "l2");
  return n == "l1" ? Norm::kL1 : n == "none" ? Norm::kNone : Norm::kL2;
}

// Scales the row's values to unit norm (zero rows stay zero).
void Normalize(Norm norm, std::vector<std::pair<uint32_t, double>>* row) {
  if (norm == Norm::kNone) return;
  double total = 0;
  for (const auto& [c, v] : *row) total += norm == Norm::kL2 ? v * v : std::abs(v);
  if (norm == Norm::kL2) total = std::sqrt(total);
  if (total == 0) return;
  for (auto& [c, v] : *row) v /= total;
}

// Sorts the row's (column, value) pairs by column and adds up duplicates.
void SumDuplicates(std::vector<std::pair<uint32_t, double>>* row) {
  std::sort(row->begin(), row->end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t w = 0;
  for (size_t i = 0; i < row->size(); ++i) {
    if (w > 0 && (*row)[w - 1].first == (*row)[i].first) {
      (*row)[w - 1].second += (*row)[i].second;
    } else {
      (*row)[w++] = (*row)[i];
    }
  }
  row->resize(w);
}

void AppendRow(const std::vector<std::pair<uint32_t, double>>& row, SparseRows* out) {
  for (const auto& [c, v] : row) {
    if (v == 0) continue;
    out->cols.push_back(c);
    out->vals.push_back(static_cast<float>(v));
  }
  out->offsets.push_back(static_cast<int64_t>(out->cols.size()));
}

class TextStep : public Step {
 public:
  using Step::Step;
  bool Takes(Kind k) const override { return k == Kind::kString; }
  std::string_view takes() const override { return "a string column"; }
  bool terminal() const override { return true; }
  bool sparse() const override { return true; }
};

class Tfidf : public TextStep {
 public:
  static absl::StatusOr<std::unique_ptr<Step>> Make(const Json& c, const std::string& path) {
    Params p(c, path);
    p.String("type");
    auto s = std::unique_ptr<Tfidf>(new Tfidf(c));
    ReadTokenizer(&p, &s->tokenizer_);
    ReadDocFrequency(&p, "min_df", 1, &s->min_df_count_, &s->min_df_share_);
    ReadDocFrequency(&p, "max_df", -1, &s->max_df_count_, &s->max_df_share_);
    s->max_features_ = p.OptionalInt("max_features", 1, 1 << 26);
    s->sublinear_tf_ = p.Bool("sublinear_tf", false);
    s->use_idf_ = p.Bool("use_idf", true);
    s->smooth_idf_ = p.Bool("smooth_idf", true);
    s->norm_ = ReadNorm(&p);
    LEPTON_RETURN_IF_ERROR(p.Finish());
    return std::unique_ptr<Step>(std::move(s));
  }

  absl::Status Fit(const Values& v, std::span<const double>, std::string_view column) override {
    // Document frequency and total count per term; each document's terms are counted once for
    // the former.
    absl::flat_hash_map<std::string, std::pair<int64_t, int64_t>> stats;
    absl::flat_hash_set<absl::string_view> seen;  // terms of the current document
    Terms terms;
    const auto n_docs = static_cast<int64_t>(v.str.size());
    for (size_t r = 0; r < v.str.size(); ++r) {
      if (!v.present[r]) continue;
      Tokenize(v.str[r], tokenizer_, &terms);
      seen.clear();
      for (size_t i = 0; i < terms.size(); ++i) {
        const std::string_view t = terms[i];
        auto& st = stats[Absl(t)];
        ++st.second;
        if (seen.insert(Absl(t)).second) ++st.first;
      }
    }
    const double min_count = min_df_share_ ? *min_df_share_ * static_cast<double>(n_docs)
                                           : static_cast<double>(min_df_count_);
    const double max_count = max_df_share_   ? *max_df_share_ * static_cast<double>(n_docs)
                             : max_df_count_ >= 0 ? static_cast<double>(max_df_count_)
                                                  : static_cast<double>(n_docs);
    if (max_count < min_count) {
      return absl::InvalidArgumentError(StrCat("column \"", column,
                                               "\": tfidf: max_df corresponds to fewer "
                                               "documents than min_df"));
    }
    struct Term {
      std::string text;
      int64_t df;
      int64_t tf;
    };
    std::vector<Term> kept;
    for (auto& [t, st] : stats) {
      const auto df = static_cast<double>(st.first);
      if (df >= min_count && df <= max_count) kept.push_back({t, st.first, st.second});
    }
    if (max_features_ && static_cast<int64_t>(kept.size()) > *max_features_) {
      // The most frequent terms over the corpus; ties to the lexically smaller term.
      std::sort(kept.begin(), kept.end(), [](const Term& a, const Term& b) {
        return a.tf != b.tf ? a.tf > b.tf : a.text < b.text;
      });
      kept.resize(static_cast<size_t>(*max_features_));
    }
    std::sort(kept.begin(), kept.end(),
              [](const Term& a, const Term& b) { return a.text < b.text; });
    vocabulary_.clear();
    idf_.clear();
    const double n = static_cast<double>(n_docs) + (smooth_idf_ ? 1.0 : 0.0);
    for (const Term& t : kept) {
      vocabulary_.push_back(t.text);
      const double df = static_cast<double>(t.df) + (smooth_idf_ ? 1.0 : 0.0);
      idf_.push_back(use_idf_ ? std::log(n / df) + 1.0 : 1.0);
    }
    BuildIndex();
    return absl::OkStatus();
  }

  std::vector<std::string> OutputNames(std::string_view column) const override {
    std::vector<std::string> out;
    out.reserve(vocabulary_.size());
    for (const auto& t : vocabulary_) out.push_back(StrCat(column, "#", t));
    return out;
  }

  void WriteSparse(const Values& v, SparseRows* out) const override {
    thread_local Terms terms;
    thread_local std::vector<std::pair<uint32_t, double>> row;
    for (size_t r = 0; r < v.str.size(); ++r) {
      row.clear();
      if (v.present[r]) {
        Tokenize(v.str[r], tokenizer_, &terms);
        for (size_t i = 0; i < terms.size(); ++i) {
          auto it = index_.find(Absl(terms[i]));
          if (it != index_.end()) row.emplace_back(it->second, 1.0);
        }
        SumDuplicates(&row);
        for (auto& [c, x] : row) {
          const double tf = sublinear_tf_ ? 1.0 + std::log(x) : x;
          x = tf * idf_[c];
        }
        Normalize(norm_, &row);
      }
      AppendRow(row, out);
    }
  }

  Json FittedJson() const override {
    return {{"vocabulary", vocabulary_}, {"idf", EncodeDoubles(idf_)}};
  }
  absl::Status LoadFitted(const Json& f, const std::string& path) override {
    if (!f.is_object() || !f.contains("vocabulary") || !f.contains("idf") ||
        !f["vocabulary"].is_array()) {
      return absl::InvalidArgumentError(
          StrCat(path, ": expected {\"vocabulary\": [...], \"idf\": [...]}"));
    }
    vocabulary_.clear();
    for (const auto& t : f["vocabulary"]) {
      if (!t.is_string()) {
        return absl::InvalidArgumentError(StrCat(path, ".vocabulary: expected strings"));
      }
      vocabulary_.push_back(t.get<std::string>());
    }
    LEPTON_ASSIGN_OR_RETURN(idf_, DecodeDoubles(f["idf"], path + ".idf"));
    if (idf_.size() != vocabulary_.size()) {
      return absl::InvalidArgumentError(
          StrCat(path, ".idf: expected one value per vocabulary term"));
    }
    BuildIndex();
    return absl::OkStatus();
  }
  Json Report() const override { return {{"vocabulary_size", vocabulary_.size()}}; }

 private:
  explicit Tfidf(Json c) : TextStep(std::move(c)) {}
  // min_df / max_df: an integer is a document count, a number in [0, 1] with a fraction part
  // (or 1.0 written as a float) a share of the documents, as sklearn.
  static void ReadDocFrequency(Params* p, std::string_view key, int64_t fallback,
                               int64_t* count, std::optional<double>* share) {
    *count = fallback;
    std::optional<Json> v = p->OptionalValue(key);
    if (!v) return;
    if (v->is_number_integer()) {
      const auto n = v->get<int64_t>();
      if (n < 0) p->Fail(key, "expected a document count >= 0 or a share in [0, 1]");
      *count = n;
    } else if (v->is_number_float()) {
      const double d = v->get<double>();
      if (!(d >= 0 && d <= 1)) p->Fail(key, "expected a share of documents in [0, 1]");
      *share = d;
    } else {
      p->Fail(key, StrCat("expected a number, got ", v->type_name()));
    }
  }
  void BuildIndex() {
    index_.clear();
    for (size_t i = 0; i < vocabulary_.size(); ++i) {
      index_[vocabulary_[i]] = static_cast<uint32_t>(i);
    }
  }

  TokenizerOptions tokenizer_;
  int64_t min_df_count_ = 1;
  std::optional<double> min_df_share_;
  int64_t max_df_count_ = -1;
  std::optional<double> max_df_share_;
  std::optional<int64_t> max_features_;
  bool sublinear_tf_ = false;
  bool use_idf_ = true;
  bool smooth_idf_ = true;
  Norm norm_ = Norm::kL2;
  std::vector<std::string> vocabulary_;
  std::vector<double> idf_;
  absl::flat_hash_map<std::string, uint32_t> index_;
};

class Hash : public TextStep {
 public:
  static absl::StatusOr<std::unique_ptr<Step>> Make(const Json& c, const std::string& path) {
    Params p(c, path);
    p.String("type");
    auto s = std::unique_ptr<Hash>(new Hash(c));
    ReadTokenizer(&p, &s->tokenizer_);
    s->n_bits_ = static_cast<int>(p.Int("n_bits", 18, 1, 24));
    s->alternate_sign_ = p.Bool("alternate_sign", true);
    s->norm_ = ReadNorm(&p);
    LEPTON_RETURN_IF_ERROR(p.Finish());
    return std::unique_ptr<Step>(std::move(s));
  }
  absl::Status Fit(const Values&, std::span<const double>, std::string_view) override {
    return absl::OkStatus();  // stateless: the hash is the vocabulary
  }
  std::vector<std::string> OutputNames(std::string_view column) const override {
    std::vector<std::string> out;
    const uint32_t n = 1u << n_bits_;
    out.reserve(n);
    for (uint32_t i = 0; i < n; ++i) out.push_back(StrCat(column, "#hash", i));
    return out;
  }
  void WriteSparse(const Values& v, SparseRows* out) const override {
    thread_local Terms terms;
    thread_local std::vector<std::pair<uint32_t, double>> row;
    const uint32_t n = 1u << n_bits_;
    for (size_t r = 0; r < v.str.size(); ++r) {
      row.clear();
      if (v.present[r]) {
        Tokenize(v.str[r], tokenizer_, &terms);
        for (size_t i = 0; i < terms.size(); ++i) {
          const HashedTerm h = HashTerm(terms[i], n);
          row.emplace_back(h.column, alternate_sign_ ? h.sign : 1.0);
        }
        SumDuplicates(&row);
        Normalize(norm_, &row);
      }
      AppendRow(row, out);
    }
  }
  Json FittedJson() const override { return Json::object(); }
  absl::Status LoadFitted(const Json&, const std::string&) override { return absl::OkStatus(); }
  Json Report() const override { return {{"buckets", 1u << n_bits_}}; }

 private:
  explicit Hash(Json c) : TextStep(std::move(c)) {}
  TokenizerOptions tokenizer_;
  int n_bits_ = 18;
  bool alternate_sign_ = true;
  Norm norm_ = Norm::kL2;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Step>> MakeTextStep(const Json& config, const std::string& path) {
  if (config.value("type", "") == "tfidf") return Tfidf::Make(config, path);
  return Hash::Make(config, path);
}

}  // namespace lepton::features::internal
