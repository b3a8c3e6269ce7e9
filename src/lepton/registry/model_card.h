#pragma once
// Model cards: what a reviewer reads before approving a model. A card is JSON (rendered to
// Markdown on request) made of two parts:
//   - generated from the version's bundle, always current: model, version, flavor, task, run,
//     training data (dataset, version, digest, rows, train/test rows, label balance, split),
//     features (the input signature), test metrics with bootstrap confidence intervals (when
//     the training computed them), cross-validation summary, fairness slices with their gaps,
//     permutation importance;
//   - edited by people (stored per version): intended_use, out_of_scope_uses, limitations,
//     ethical_considerations, caveats, owners (array of strings), risk_rating
//     (high | medium | low | unknown), status (draft | pending_review | approved | archived).
// An edit names only editable fields; a generated one is InvalidArgument.

#include <string>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::registry {

struct CardSource {
  std::string model;
  int64_t version = 0;
  std::string created_by;
  std::string created_at;
  std::string description;
  Json manifest;  // manifest.json of the bundle
  Json metrics;   // metrics.json of the bundle
};

// The generated part plus `edits` (editable fields; defaults "" / [] / "unknown" / "draft").
Json BuildCard(const CardSource& source, const Json& edits);

// `current` edits with `changes` applied. InvalidArgument naming the field for a generated or
// unknown field, or a value of the wrong type or outside its allowed set.
absl::StatusOr<Json> ApplyCardEdits(const Json& current, const Json& changes);

// The card as a Markdown document (headings, tables for metrics and slices).
std::string CardMarkdown(const Json& card);

}  // namespace lepton::registry
