#pragma once
// Planted: the pure layer reaching up to the coordinator and to CAF.
#include "coordinator/controller.hpp"
#include <caf/all.hpp>
#include <vector>
#include <pugixml.hpp>
#include "model/result.hpp"
