#pragma once

// The controller's model_port over the journaled model store
// (coordinator/journal/model_store.hpp): commit() returns once the edit is
// durable. Thread-safety: none (the controller actor owns it).

#include <utility>

#include "coordinator/controller.hpp"
#include "coordinator/journal/model_store.hpp"

namespace fabric::coordinator {

class journal_model_port : public model_port {
public:
  explicit journal_model_port(journal::model_store store) : store_(std::move(store)) {}
  const model::fabric_model& model() const override { return store_.model(); }
  status commit(const model::model_edit& edit) override { return store_.commit(edit); }
  status commit_all(const std::vector<model::model_edit>& edits) override {
    return store_.commit_all(edits);
  }
  journal::model_store& store() { return store_; }

private:
  journal::model_store store_;
};

} // namespace fabric::coordinator
