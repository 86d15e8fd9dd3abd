#include "protocol/lane_packer.h"
