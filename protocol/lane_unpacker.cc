#include "protocol/lane_unpacker.h"
