// Text: tokenisation, MurmurHash3, and TF-IDF / hashing output compared with scikit-learn
// (precomputed constants for a small corpus; the Financial PhraseBank through python3 + sklearn
// when available).
#include "lepton/features/text.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/features/testing/test_data.h"
#include "lepton/features/pipeline.h"

namespace lepton::features {
namespace {

using ::testing::ElementsAre;
using testdata::Batch;
using testdata::Strings;

std::vector<std::string> Tokens(std::string_view text, TokenizerOptions o = {}) {
  Terms t;
  Tokenize(text, o, &t);
  std::vector<std::string> out;
  for (size_t i = 0; i < t.size(); ++i) out.emplace_back(t[i]);
  return out;
}

TEST(TokenizeTest, SklearnTokenPatternAndUnicodeLowercase) {
  EXPECT_THAT(Tokens("The quick-brown fox, a I 42 foo_bar 3.14!"),
              ElementsAre("the", "quick", "brown", "fox", "42", "foo_bar", "14"));
  // Full Unicode lower-casing (final sigma), letters of any script are word characters,
  // punctuation and symbols (the euro sign) separate.
  EXPECT_THAT(Tokens("Straße CAFÉ ΣΊΣΥΦΟΣ 5€x naïve"),
              ElementsAre("straße", "café", "σίσυφος", "naïve"));
  EXPECT_THAT(Tokens("ÀB"), ElementsAre("àb"));
  TokenizerOptions keep_case;
  keep_case.lowercase = false;
  EXPECT_THAT(Tokens("Hello WORLD", keep_case), ElementsAre("Hello", "WORLD"));
  TokenizerOptions bigrams;
  bigrams.ngram_max = 2;
  EXPECT_THAT(Tokens("a b c dd ee ff", bigrams), ElementsAre("dd", "ee", "ff", "dd ee", "ee ff"));
  // Invalid UTF-8 separates tokens instead of failing.
  EXPECT_THAT(Tokens("ab\xff\xfe" "cd é"), ElementsAre("ab", "cd"));
}

TEST(MurmurHashTest, KnownValues) {
  // sklearn.utils.murmurhash3_32(key, seed=0)
  EXPECT_EQ(MurmurHash3(""), 0);
  EXPECT_EQ(MurmurHash3("foo"), -156908512);
  EXPECT_EQ(MurmurHash3("hello world"), 1586663183);
}

// Parses sklearn_text.py output into (vocabulary, entries).
struct Reference {
  int64_t cols = 0;
  std::vector<std::string> vocabulary;
  std::vector<std::tuple<int64_t, int64_t, double>> entries;
};
Reference ParseReference(const std::string& text, bool has_vocabulary) {
  Reference ref;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  ref.cols = std::stoll(line);
  if (has_vocabulary) {
    std::getline(in, line);
    std::istringstream words(line);
    std::string w;
    while (words >> w) {
      for (char& c : w) {
        if (c == '\x01') c = ' ';
      }
      ref.vocabulary.push_back(w);
    }
  }
  int64_t r, c;
  double v;
  while (in >> r >> c >> v) ref.entries.emplace_back(r, c, v);
  return ref;
}

// Checks `m` (CSR) against `ref` entry by entry: same non-zero positions, values equal after
// rounding sklearn's float64 to float32 (1 ulp of slack for summation order).
void ExpectMatches(const FeatureMatrix& m, const Reference& ref, int64_t col_offset = 0) {
  ASSERT_TRUE(m.sparse);
  size_t k = 0;
  int64_t mismatches = 0;
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t e = m.row_offsets[static_cast<size_t>(r)];
         e < m.row_offsets[static_cast<size_t>(r) + 1]; ++e) {
      const auto c = static_cast<int64_t>(m.col_indices[static_cast<size_t>(e)]) - col_offset;
      if (c < 0 || c >= ref.cols) continue;  // not a text column
      ASSERT_LT(k, ref.entries.size());
      const auto& [rr, rc, rv] = ref.entries[k++];
      ASSERT_EQ(r, rr);
      ASSERT_EQ(c, rc) << "row " << r;
      const float got = m.values[static_cast<size_t>(e)];
      const auto want = static_cast<float>(rv);
      if (std::abs(got - want) > 2 * std::numeric_limits<float>::epsilon() * std::abs(want)) {
        ++mismatches;
        ADD_FAILURE() << "row " << r << " col " << c << ": " << got << " vs sklearn " << rv;
      }
      if (mismatches > 5) return;
    }
  }
  EXPECT_EQ(k, ref.entries.size());
}

const lake::RecordBatch& SmallCorpus() {
  static const auto* batch = new lake::RecordBatch(
      Batch({{"text", Strings({"The quick brown fox jumps over the lazy dog.",
                               "The dog barks; the fox runs, the dog sleeps!",
                               "Straße café CAFÉ naïve résumé ΣΊΣΥΦΟΣ",
                               "a I x 42 foo_bar 3.14 dog", ""})}}));
  return *batch;
}

// TfidfVectorizer() on SmallCorpus(), from testdata/sklearn_text.py.
constexpr char kSmallTfidf[] = R"(19
14 42 barks brown café dog foo_bar fox jumps lazy naïve over quick runs résumé sleeps straße the σίσυφος
0 3 0.33897148063305216
0 5 0.22701315114087786
0 7 0.2734800562367467
0 8 0.33897148063305216
0 9 0.33897148063305216
0 11 0.33897148063305216
0 12 0.33897148063305216
0 17 0.5469601124734934
1 2 0.2974397409795362
1 5 0.39839772212215463
1 7 0.23997251018938767
1 13 0.2974397409795362
1 15 0.2974397409795362
1 17 0.7199175305681631
2 4 0.7071067811865475
2 10 0.35355339059327373
2 14 0.35355339059327373
2 16 0.35355339059327373
2 18 0.35355339059327373
3 0 0.5384979101064752
3 1 0.5384979101064752
3 5 0.36063832635048015
3 6 0.5384979101064752
)";
// HashingVectorizer(n_features=1024) on SmallCorpus().
constexpr char kSmallHash[] = R"(1024
0 158 -0.6030226891555273
0 219 0.30151134457776363
0 457 0.30151134457776363
0 512 0.30151134457776363
0 549 -0.30151134457776363
0 695 -0.30151134457776363
0 919 -0.30151134457776363
0 973 0.30151134457776363
1 112 -0.24253562503633297
1 158 -0.7276068751089989
1 266 -0.24253562503633297
1 549 -0.48507125007266594
1 919 -0.24253562503633297
1 920 -0.24253562503633297
2 76 -0.35355339059327373
2 428 -0.35355339059327373
2 469 0.35355339059327373
2 773 0.35355339059327373
2 776 0.7071067811865475
3 455 -0.5
3 539 0.5
3 549 -0.5
3 970 -0.5
)";

TEST(TfidfTest, SmallCorpusMatchesSklearnConstants) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Pipeline::Create(*ParseJson(R"({"columns":[{"name":"text","steps":[{"type":"tfidf"}]}]})")));
  ASSERT_OK(p.Fit(SmallCorpus(), {}));
  const Reference ref = ParseReference(kSmallTfidf, true);
  std::vector<std::string> names;
  for (const auto& t : ref.vocabulary) names.push_back("text#" + t);
  EXPECT_EQ(p.output_columns(), names);
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(SmallCorpus()));
  EXPECT_EQ(m.rows, 5);
  EXPECT_EQ(m.row_offsets[5] - m.row_offsets[4], 0);  // the empty document
  ExpectMatches(m, ref);
  EXPECT_EQ(p.Report()["columns"][0]["steps"][0]["vocabulary_size"], 19);
}

TEST(HashTest, SmallCorpusMatchesSklearnConstants) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Pipeline::Create(*ParseJson(
                      R"({"columns":[{"name":"text","steps":[{"type":"hash","n_bits":10}]}]})")));
  ASSERT_OK(p.Fit(SmallCorpus(), {}));
  EXPECT_EQ(p.output_columns().size(), 1024u);
  EXPECT_EQ(p.output_columns()[158], "text#hash158");
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(SmallCorpus()));
  ExpectMatches(m, ParseReference(kSmallHash, false));
}

TEST(TfidfTest, MinDfMaxFeaturesAndVocabularyFittedOnTrainingRowsOnly) {
  const auto train = Batch({{"t", Strings({"apple banana", "apple cherry", "apple banana kiwi"})}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Pipeline::Create(*ParseJson(R"({"columns":[{"name":"t","steps":[
                      {"type":"tfidf","min_df":2,"norm":"none"}]}]})")));
  ASSERT_OK(p.Fit(train, {}));
  EXPECT_THAT(p.output_columns(), ElementsAre("t#apple", "t#banana"));
  // idf = ln((1 + 3) / (1 + df)) + 1: apple ln(4/4)+1 = 1, banana ln(4/3)+1.
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m,
                              p.Transform(Batch({{"t", Strings({"banana banana durian"})}})));
  EXPECT_THAT(m.col_indices, ElementsAre(1));
  EXPECT_EQ(m.values[0], static_cast<float>(2 * (std::log(4.0 / 3) + 1)));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline top, Pipeline::Create(*ParseJson(R"({"columns":[{"name":"t","steps":[
                        {"type":"tfidf","max_features":1,"sublinear_tf":true}]}]})")));
  ASSERT_OK(top.Fit(train, {}));
  EXPECT_THAT(top.output_columns(), ElementsAre("t#apple"));
}

// Runs testdata/sklearn_text.py once with Debian's python3 for all `specs` over `column` of
// `csv` and returns the outputs; empty when python3 or scikit-learn is missing.
std::vector<std::string> RunSklearn(const std::string& csv, const std::string& column,
                                    const std::vector<std::string>& specs) {
  const std::string stem = (std::filesystem::temp_directory_path() /
                            ("features_sklearn_" + std::to_string(::getpid()) + "_"))
                               .string();
  std::string cmd = std::string("/usr/bin/python3 ") + LEPTON_FEATURES_TEST_DIR +
                    "/testdata/sklearn_text.py " + csv + " " + column;
  for (size_t i = 0; i < specs.size(); ++i) {
    cmd += " " + stem + std::to_string(i) + " " + specs[i];
  }
  cmd += " 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) return {};
  std::vector<std::string> out;
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string path = stem + std::to_string(i);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    out.push_back(text.str());
    std::filesystem::remove(path);
  }
  return out;
}

TEST(TfidfTest, FinancialPhraseBankMatchesSklearn) {
  const std::string csv = testdata::SharedData("text/financial_phrasebank.csv");
  LEPTON_ASSERT_OK_AND_ASSIGN(lake::RecordBatch rows, testdata::ReadCsv(csv));
  ASSERT_EQ(rows.num_rows(), 4846);
  // Our step, and the same options for sklearn_text.py.
  const std::vector<std::pair<std::string, std::string>> variants = {
      {R"({"type":"tfidf"})", "tfidf"},
      {R"({"type":"tfidf","ngram_range":[1,2],"min_df":2,"max_df":0.5,"sublinear_tf":true})",
       "tfidf,ngram_max=2,min_df=2,max_df=0.5,sublinear_tf=1"},
      {R"({"type":"hash","n_bits":12})", "hash,n_bits=12"},
  };
  std::vector<std::string> specs;
  for (const auto& v : variants) specs.push_back(v.second);
  const std::vector<std::string> outputs = RunSklearn(csv, "sentence", specs);
  if (outputs.empty()) GTEST_SKIP() << "/usr/bin/python3 with scikit-learn is not available";
  for (size_t i = 0; i < variants.size(); ++i) {
    const auto& [step, spec] = variants[i];
    const bool tfidf = spec.rfind("tfidf", 0) == 0;
    const Reference ref = ParseReference(outputs[i], tfidf);
    LEPTON_ASSERT_OK_AND_ASSIGN(
        Pipeline p, Pipeline::Create(*ParseJson(
                        R"({"columns":[{"name":"sentence","steps":[)" + step + "]}]}")));
    ASSERT_OK(p.Fit(rows, {}));
    ASSERT_EQ(static_cast<int64_t>(p.output_columns().size()), ref.cols) << step;
    if (tfidf) {
      for (size_t k = 0; k < ref.vocabulary.size(); ++k) {
        ASSERT_EQ(p.output_columns()[k], "sentence#" + ref.vocabulary[k]) << step;
      }
    }
    LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(rows));
    ExpectMatches(m, ref);
    std::printf("[ measure  ] %s: %zu columns, %zu stored values, all equal to sklearn's\n",
                step.c_str(), p.output_columns().size(), m.values.size());
  }
}

}  // namespace
}  // namespace lepton::features
