#include "protocol/lane_memory.h"
