#pragma once

// The coordinator's model store: the fabric_model in memory, every change
// journaled before it is acknowledged. commit() applies an edit to a copy of
// the model, journals the edit (durably, see journal.hpp), and only then makes
// the copy the model; a refused edit and a failed journal write change
// nothing. open() rebuilds the model from the latest snapshot plus the edits
// journaled after it, replayed through model::apply (edits are deterministic,
// so the replay reaches the same model, revision included).
//
// Records: kind = model::edit_name(edit), payload = model_json::edit_to_json
// as JSON text. Snapshots: model_json::model_to_json as JSON text, written
// every `snapshot_every` commits (the records it covers are compacted).
//
// Thread-safety: none; one owner calls every member (in the coordinator, the
// controller actor, through journal_model_port in coordinator/journal_port.hpp).
// journal().stats() may be read from any thread.

#include <cstdint>
#include <string>
#include <vector>

#include "coordinator/journal/journal.hpp"
#include "model/deployment.hpp"
#include "model/edit.hpp"
#include "model/result.hpp"

namespace fabric::journal {

struct model_store_options {
  journal_options journal;
  /// A snapshot after this many commits (edits) since the last one; <= 0:
  /// never automatically (snapshot() still works).
  std::int64_t snapshot_every = 1000;
  /// And after no fewer edits than the model has instances: a snapshot
  /// writes the whole model, so scaling the interval with it keeps the cost
  /// amortized O(1) per edit and the replay after a restart O(model) (a
  /// 10,000-instance walk commits 500-edit batches: one snapshot per 10,000
  /// edits instead of one every two batches).
  bool snapshot_scales_with_model = true;
  /// The journal's file name inside the data directory.
  std::string file_name = "journal.db";
};

class model_store {
public:
  /// Opens (creating when absent, directories included) the store in
  /// `data_dir` and rebuilds the model. Errors: the journal cannot be opened
  /// (see journal::open), a snapshot or record does not decode, or a journaled
  /// edit no longer applies ("journal '...': record 12 (swap_slots) does not
  /// apply: ..."); the store is not usable then.
  static result<model_store> open(const std::string& data_dir, model_store_options options = {});

  /// The current model: every acknowledged edit applied.
  const model::fabric_model& model() const { return model_; }

  /// Applies `edit`; on success it is journaled before this returns, and the
  /// model changes. On error (apply refused it, or the journal write failed)
  /// neither the model nor the journal changed; the error says why. A
  /// scheduled snapshot that fails does not fail the commit (the edit is
  /// durable already); it is retried on the next commit and counted in
  /// failed_snapshots().
  status commit(const model::model_edit& edit);

  /// commit() of every edit in order, all or nothing, with one journal
  /// transaction (one durable write) and one copy of the model for the lot:
  /// what a walk uses for the instances of an upgrade domain. On error
  /// neither the model nor the journal changed.
  status commit_all(const std::vector<model::model_edit>& edits);

  /// Writes a snapshot of the current model now (compacting the journal).
  status snapshot();

  /// Commits since the latest snapshot (or since open() when there is none
  /// and the journal was empty).
  std::int64_t commits_since_snapshot() const { return since_snapshot_; }

  std::uint64_t failed_snapshots() const { return failed_snapshots_; }

  /// The records replayed on open() (after the snapshot).
  std::int64_t replayed_on_open() const { return replayed_; }

  journal& journal_ref() { return journal_; }
  const journal& journal_ref() const { return journal_; }

private:
  model_store(class journal j, model_store_options options);
  bool snapshot_due() const;

  class journal journal_;
  model_store_options options_;
  model::fabric_model model_;
  std::int64_t since_snapshot_ = 0;
  std::int64_t replayed_ = 0;
  std::uint64_t failed_snapshots_ = 0;
};

} // namespace fabric::journal
