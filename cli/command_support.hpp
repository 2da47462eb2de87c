#pragma once

// Helpers every fabricctl command that talks to the coordinator shares: the
// global flags, reading JSON answers, reporting a refused call with the
// right exit status, reading input files, and waiting for an operation.

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/api_client.hpp"
#include "model/result.hpp"

namespace fabric::cli {

/// The value of global option `name` (e.g. "--output") as given on the
/// command line, else `fallback`.
std::string global_option(CLI::App& app, const char* name, const std::string& fallback);

/// Member `key` of a JSON object as text (strings as they are, other values
/// dumped); "" when `j` is not an object or has no such member.
std::string json_text(const nlohmann::json& j, const char* key);

/// Prints why a call failed ("fabricctl: ..." on stderr) and returns the exit
/// status: exit_unreachable when the coordinator did not answer,
/// exit_api_error when it refused.
int report_failure(const result<api_response>& r);

/// The whole file in `out`; false when it cannot be read.
bool read_whole_file(const std::string& path, std::string& out);

/// A .csdef/.cscfg file as UTF-8 text for a JSON request body: the file is
/// decoded as the parser does (model/xml_text.hpp: UTF-8 with or without BOM,
/// UTF-16LE/BE as Visual Studio saved them) and its XML declaration made to
/// say utf-8. False with a message on stderr ("fabricctl: <path>: ...") when
/// the file cannot be read or is not text in one of those encodings: raw
/// bytes in a JSON string would make the JSON library throw (issue 14).
bool read_model_file(const std::string& path, std::string& out);

/// Reads each named .csdef/.cscfg file into `body[key]` as UTF-8 text
/// (read_model_file), skipping empty paths. False after read_model_file's
/// message when one cannot be read or decoded (then the caller exits with
/// exit_bad_input).
bool read_files_into(nlohmann::json& body,
                     const std::vector<std::pair<const char*, const std::string*>>& files);

/// The `--wait` flag and the option that bounds it (`timeout_name`, seconds;
/// its help shows `timeout_s`'s value as the default).
void add_wait_flags(CLI::App* cmd, bool& wait, int& timeout_s, const std::string& timeout_name,
                    const std::string& wait_help);

/// Polls GET /fabric/v1/operations/<id> every 100 ms until it is no longer
/// InProgress. Before each poll `progress` (when set) may print and may end
/// the wait with an exit status. When the operation has ended, `done(op)`
/// prints its final state; then a Failed one is reported on stderr with its
/// error message. Returns exit_ok, exit_api_error when it Failed (or a call
/// failed: report_failure), exit_timeout after `timeout_s` seconds.
int poll_operation(api_client& api, const std::string& id, int timeout_s,
                   const std::function<std::optional<int>()>& progress,
                   const std::function<void(const nlohmann::json& op)>& done);

/// poll_operation printing only the final status ("operation <id>: <status>",
/// or the operation JSON when `json`).
int wait_operation(api_client& api, const std::string& id, int timeout_s, bool json);

} // namespace fabric::cli
