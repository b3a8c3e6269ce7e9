#include "lepton/tracking/search_filter.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "lepton/base/clock.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::tracking {
namespace {

bool IsKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == '/' || c == ':';
}

// A hand-written scanner over the filter text; every error names the position it stopped at.
class Scanner {
 public:
  Scanner(std::string_view text, std::string_view what) : text_(text), what_(what) {}

  void SkipSpaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool AtEnd() {
    SkipSpaces();
    return pos_ >= text_.size();
  }
  size_t pos() const { return pos_; }

  // The next whitespace-delimited token, for error messages.
  std::string Peek() const {
    if (pos_ >= text_.size()) return "end of input";
    size_t end = pos_;
    while (end < text_.size() && !std::isspace(static_cast<unsigned char>(text_[end])) &&
           end - pos_ < 24) {
      ++end;
    }
    return StrCat("'", text_.substr(pos_, end - pos_), "'");
  }

  absl::Status Error(std::string_view expected, size_t at) const {
    Scanner copy = *this;
    copy.pos_ = at;
    return absl::InvalidArgumentError(
        StrCat(what_, ": expected ", expected, " at position ", at, ", got ", copy.Peek()));
  }
  absl::Status Error(std::string_view expected) const { return Error(expected, pos_); }

  // Reads `type.key`, `type."quoted key"` or a bare attribute key.
  absl::StatusOr<FieldRef> Identifier() {
    SkipSpaces();
    const size_t start = pos_;
    size_t end = pos_;
    while (end < text_.size() && IsKeyChar(text_[end])) ++end;
    if (end == start) return Error("an identifier such as metrics.auc or params.lr");
    std::string_view word = text_.substr(start, end - start);
    pos_ = end;
    const size_t dot = word.find('.');
    if (dot == std::string_view::npos) {
      FieldRef ref;
      LEPTON_ASSIGN_OR_RETURN(ref.key, Attribute(word, start));
      return ref;
    }
    const std::string type = AsciiLower(word.substr(0, dot));
    std::string key(word.substr(dot + 1));
    if (key.empty() && pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '`')) {
      const char quote = text_[pos_];
      const size_t close = text_.find(quote, pos_ + 1);
      if (close == std::string_view::npos) return Error(StrCat("a closing ", quote), pos_);
      key = std::string(text_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
    }
    FieldRef ref;
    if (type == "metric" || type == "metrics") {
      ref.kind = FieldKind::kMetric;
    } else if (type == "param" || type == "params" || type == "parameter" ||
               type == "parameters") {
      ref.kind = FieldKind::kParam;
    } else if (type == "tag" || type == "tags") {
      ref.kind = FieldKind::kTag;
    } else if (type == "attribute" || type == "attributes" || type == "attr" || type == "run") {
      ref.kind = FieldKind::kAttribute;
      LEPTON_ASSIGN_OR_RETURN(key, Attribute(key, start + dot + 1));
    } else if (type == "dataset" || type == "datasets") {
      ref.kind = FieldKind::kDataset;
      bool known = false;
      for (std::string_view f : kDatasetFields) known = known || f == key;
      if (!known) return Error("a dataset field (name, digest, context)", start + dot + 1);
    } else {
      return Error("an identifier type (metrics, params, tags, attributes, datasets)", start);
    }
    if (key.empty()) return Error("a key after the '.'", start + dot + 1);
    ref.key = std::move(key);
    return ref;
  }

  absl::StatusOr<Comparator> ReadComparator() {
    SkipSpaces();
    const size_t start = pos_;
    auto two = text_.substr(pos_, 2);
    if (two == "!=" || two == "<>") return pos_ += 2, Comparator::kNe;
    if (two == "<=") return pos_ += 2, Comparator::kLe;
    if (two == ">=") return pos_ += 2, Comparator::kGe;
    if (two == "==") return pos_ += 2, Comparator::kEq;
    if (pos_ < text_.size()) {
      switch (text_[pos_]) {
        case '=': return ++pos_, Comparator::kEq;
        case '<': return ++pos_, Comparator::kLt;
        case '>': return ++pos_, Comparator::kGt;
        default: break;
      }
    }
    size_t end = pos_;
    while (end < text_.size() && std::isalpha(static_cast<unsigned char>(text_[end]))) ++end;
    const std::string word = AsciiUpper(text_.substr(pos_, end - pos_));
    if (word == "LIKE") return pos_ = end, Comparator::kLike;
    if (word == "ILIKE") return pos_ = end, Comparator::kILike;
    return Error("a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE)", start);
  }

  // A quoted string or a number.
  absl::StatusOr<std::variant<double, std::string>> Constant() {
    SkipSpaces();
    const size_t start = pos_;
    if (pos_ < text_.size() && (text_[pos_] == '\'' || text_[pos_] == '"')) {
      const char quote = text_[pos_];
      std::string out;
      size_t i = pos_ + 1;
      for (;; ++i) {
        if (i >= text_.size()) return Error(StrCat("a closing ", quote), start);
        if (text_[i] == quote) {
          if (i + 1 < text_.size() && text_[i + 1] == quote) {  // '' is a quote inside
            out.push_back(quote);
            ++i;
            continue;
          }
          break;
        }
        out.push_back(text_[i]);
      }
      pos_ = i + 1;
      return out;
    }
    size_t end = pos_;
    while (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) ||
                                  text_[end] == '.' || text_[end] == '-' || text_[end] == '+')) {
      ++end;
    }
    const std::string token(text_.substr(pos_, end - pos_));
    if (token.empty()) return Error("a value (a number or a quoted string)", start);
    char* parse_end = nullptr;
    errno = 0;
    const double v = std::strtod(token.c_str(), &parse_end);
    if (parse_end != token.c_str() + token.size() || errno != 0 || !std::isfinite(v)) {
      return Error("a value (a number or a quoted string)", start);
    }
    pos_ = end;
    return v;
  }

  // True and consumes `word` (any case) when it comes next as a whole word.
  bool Keyword(std::string_view word) {
    SkipSpaces();
    if (text_.size() - pos_ < word.size()) return false;
    if (!EqualsIgnoreCase(text_.substr(pos_, word.size()), word)) return false;
    const size_t end = pos_ + word.size();
    if (end < text_.size() && IsKeyChar(text_[end])) return false;
    pos_ = end;
    return true;
  }

 private:
  absl::StatusOr<std::string> Attribute(std::string_view name, size_t at) const {
    const std::string n = AsciiLower(name);
    if (n == "run_id" || n == "id") return std::string("run_id");
    if (n == "run_name" || n == "name") return std::string("run_name");
    if (n == "user" || n == "user_id") return std::string("user");
    if (n == "created") return std::string("start_time");
    for (std::string_view a : kStringAttributes) {
      if (a == n) return n;
    }
    for (std::string_view a : kTimeAttributes) {
      if (a == n) return n;
    }
    return Error(
        "an attribute (run_id, run_name, status, user, experiment_id, source, job_id, "
        "parent_run_id, start_time, end_time) or a typed key such as metrics.auc",
        at);
  }

  std::string_view text_;
  std::string_view what_;
  size_t pos_ = 0;
};

bool IsTimeAttribute(const FieldRef& f) {
  if (f.kind != FieldKind::kAttribute) return false;
  for (std::string_view a : kTimeAttributes) {
    if (a == f.key) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::vector<FilterClause>> ParseFilter(std::string_view filter) {
  Scanner s(filter, "filter");
  std::vector<FilterClause> out;
  if (s.AtEnd()) return out;
  while (true) {
    FilterClause c;
    LEPTON_ASSIGN_OR_RETURN(c.field, s.Identifier());
    const size_t op_at = (s.SkipSpaces(), s.pos());
    LEPTON_ASSIGN_OR_RETURN(c.op, s.ReadComparator());
    const size_t value_at = (s.SkipSpaces(), s.pos());
    LEPTON_ASSIGN_OR_RETURN(c.value, s.Constant());
    const bool is_like = c.op == Comparator::kLike || c.op == Comparator::kILike;
    const bool is_order = c.op == Comparator::kLt || c.op == Comparator::kLe ||
                          c.op == Comparator::kGt || c.op == Comparator::kGe;
    const bool numeric_field = c.field.kind == FieldKind::kMetric || IsTimeAttribute(c.field);
    if (numeric_field) {
      if (is_like) {
        return s.Error(StrCat("a numeric comparator (=, !=, <, <=, >, >=) for ",
                              c.field.key),
                       op_at);
      }
      if (const std::string* text = std::get_if<std::string>(&c.value)) {
        absl::Time t;
        if (c.field.kind == FieldKind::kMetric || !ParseTimestamp(*text, &t)) {
          return s.Error(c.field.kind == FieldKind::kMetric
                             ? "a number for a metric"
                             : "epoch milliseconds or an RFC 3339 time",
                         value_at);
        }
        c.value = static_cast<double>(absl::ToUnixMillis(t));
      }
    } else {
      if (is_order) {
        return s.Error(StrCat("a string comparator (=, !=, LIKE, ILIKE) for '", c.field.key, "'"),
                       op_at);
      }
      if (std::holds_alternative<double>(c.value)) {
        return s.Error("a quoted string", value_at);
      }
    }
    out.push_back(std::move(c));
    if (s.AtEnd()) break;
    if (!s.Keyword("AND")) return s.Error("AND (the only connective) or the end of the filter");
  }
  return out;
}

absl::StatusOr<OrderItem> ParseOrderBy(std::string_view item) {
  Scanner s(item, "order_by");
  OrderItem o;
  LEPTON_ASSIGN_OR_RETURN(o.field, s.Identifier());
  if (o.field.kind == FieldKind::kDataset) return s.Error("a metric, param, tag or attribute", 0);
  if (s.Keyword("DESC")) {
    o.ascending = false;
  } else {
    s.Keyword("ASC");
  }
  if (!s.AtEnd()) return s.Error("ASC, DESC or the end of the item");
  return o;
}

bool LikeMatch(std::string_view text, std::string_view pattern, bool ignore_case) {
  // Iterative wildcard matching with backtracking to the last '%': O(n·m) worst case.
  size_t t = 0, p = 0, star_p = std::string_view::npos, star_t = 0;
  const auto eq = [ignore_case](char a, char b) {
    return ignore_case ? std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b))
                       : a == b;
  };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '_' || (pattern[p] != '%' && eq(pattern[p], text[t])))) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star_p = p++;
      star_t = t;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

}  // namespace lepton::tracking
