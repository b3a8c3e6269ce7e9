#include "lepton/base/ids.h"

#include <set>

#include "gtest/gtest.h"

namespace lepton {
namespace {

TEST(IdsTest, IdsAreUniqueUrlSafeAndTimeOrdered) {
  std::set<std::string> seen;
  std::string prev;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewId();
    EXPECT_EQ(id.size(), 26u);
    EXPECT_EQ(id.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), std::string::npos);
    EXPECT_TRUE(seen.insert(id).second);
    // The time prefix (first 10 characters) never goes backwards.
    if (!prev.empty()) {
      EXPECT_LE(prev.substr(0, 10), id.substr(0, 10));
    }
    prev = id;
  }
}

TEST(IdsTest, RequestIdsAreHex) {
  const std::string id = NewRequestId();
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace lepton
