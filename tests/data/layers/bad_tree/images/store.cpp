// Planted: the image store reaching up into the node's disks, and a quoted
// include that names no file.
#include "node/disk/os_disk.hpp"
#include "images/missing.hpp"
#include <openssl/evp.h>
