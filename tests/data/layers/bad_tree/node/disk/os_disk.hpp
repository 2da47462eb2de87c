#pragma once
#include "model/result.hpp"
