#pragma once

// Writing a service configuration back as a .cscfg document: the inverse of
// parse_service_configuration (service_model_parser.hpp), for when the text a
// client sent is not kept (a configuration built or changed by the fabric).
//
// The document: an XML declaration (version 1.0, utf-8), root
// <ServiceConfiguration xmlns=".../2008/10/ServiceConfiguration"> with
// serviceName, osFamily and osVersion (the last two only when set); per role,
// in order: <Role name>, <OsImage href> (when set), <Instances count>,
// <ConfigurationSettings><Setting name value/>… (when any, sorted by name),
// <Certificates><Certificate name thumbprint thumbprintAlgorithm/>… (when
// any). Indented with two spaces, UTF-8.
//
// Round trip: parse_service_configuration(render_service_configuration(c))
// gives back c for any configuration the parser accepts.
//
// Pure (no I/O); safe to call from any thread.

#include <string>

#include "model/service_configuration.hpp"

namespace fabric::model {

/// The .cscfg text of `configuration` (see above).
std::string render_service_configuration(const service_configuration& configuration);

} // namespace fabric::model
