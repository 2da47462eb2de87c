#pragma once
// Planted: the wire format pulling in ZeroMQ.
#include <msgpack.hpp>
#include <zmq.hpp>
