#pragma once
// Allowed: the coordinator uses the model, CAF and nlohmann-json.
#include "model/planner.hpp"
#include <caf/all.hpp>
#include <nlohmann/json.hpp>
