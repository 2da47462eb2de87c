#include "coordinator/journal/model_store.hpp"

#include <filesystem>
#include <system_error>
#include <utility>

#include "model_json/model_json.hpp"

namespace fabric::journal {

model_store::model_store(class journal j, model_store_options options)
  : journal_(std::move(j)), options_(std::move(options)) {
}

result<model_store> model_store::open(const std::string& data_dir, model_store_options options) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec)
    return error{"model store: cannot create the data directory '" + data_dir
                 + "': " + ec.message()};
  auto path = (std::filesystem::path(data_dir) / options.file_name).string();
  auto j = journal::open(path, options.journal);
  if (!j)
    return j.err();
  auto contents = j->load();
  if (!contents)
    return contents.err();
  model_store store{std::move(*j), std::move(options)};
  auto where = [&path](const std::string& what) { return "journal '" + path + "': " + what; };
  if (const auto& snap = contents->latest_snapshot) {
    auto m = model_json::decode_text<model::fabric_model>(snap->payload);
    if (!m)
      return error{where("snapshot at seq " + std::to_string(snap->seq)
                         + " does not decode: " + m.err().message)};
    store.model_ = std::move(*m);
  }
  for (const auto& r : contents->records) {
    auto label = "record " + std::to_string(r.seq) + " (" + r.kind + ")";
    auto edit = model_json::edit_from_text(r.payload);
    if (!edit)
      return error{where(label + " does not decode: " + edit.err().message)};
    if (r.kind != model::edit_name(*edit))
      return error{where(label + " holds a '" + model::edit_name(*edit) + "' edit")};
    if (auto st = model::apply(store.model_, *edit); !st)
      return error{where(label + " does not apply: " + st.err().message)};
  }
  store.replayed_ = static_cast<std::int64_t>(contents->records.size());
  store.since_snapshot_ = store.replayed_;
  return store;
}

status model_store::commit(const model::model_edit& edit) {
  auto next = model_;
  if (auto st = model::apply(next, edit); !st)
    return st;
  auto seq = journal_.append(model::edit_name(edit), model_json::edit_to_json(edit).dump());
  if (!seq)
    return seq.err();
  model_ = std::move(next);
  ++since_snapshot_;
  if (snapshot_due()) {
    if (!snapshot())
      ++failed_snapshots_;
  }
  return ok_status();
}

status model_store::commit_all(const std::vector<model::model_edit>& edits) {
  if (edits.size() <= 1)
    return edits.empty() ? ok_status() : commit(edits.front());
  auto next = model_;
  std::vector<std::string> kinds, payloads;
  kinds.reserve(edits.size());
  payloads.reserve(edits.size());
  for (auto& edit : edits) {
    if (auto st = model::apply(next, edit); !st)
      return st;
    kinds.emplace_back(model::edit_name(edit));
    payloads.push_back(model_json::edit_to_json(edit).dump());
  }
  std::vector<journal::record_view> records;
  records.reserve(edits.size());
  for (size_t i = 0; i < edits.size(); ++i)
    records.emplace_back(kinds[i], payloads[i]);
  if (auto seq = journal_.append_all(records); !seq)
    return seq.err();
  model_ = std::move(next);
  since_snapshot_ += static_cast<std::int64_t>(edits.size());
  if (snapshot_due()) {
    if (!snapshot())
      ++failed_snapshots_;
  }
  return ok_status();
}

bool model_store::snapshot_due() const {
  if (options_.snapshot_every <= 0 || since_snapshot_ < options_.snapshot_every)
    return false;
  if (!options_.snapshot_scales_with_model)
    return true;
  std::int64_t instances = 0;
  for (auto& [name, svc] : model_.services)
    for (auto s : {model::slot::production, model::slot::staging})
      if (auto& d = svc.in(s))
        instances += static_cast<std::int64_t>(d->instances.size());
  return since_snapshot_ >= instances;
}

status model_store::snapshot() {
  auto st = journal_.write_snapshot(journal_.last_seq(), model_json::model_to_json(model_).dump());
  if (st)
    since_snapshot_ = 0;
  return st;
}

} // namespace fabric::journal
