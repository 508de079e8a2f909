// How kernel downloads show on stderr: a meter redrawn in place (bytes and percent) when stderr
// is a terminal, one line per kernel when it is not (logs, CI).
#pragma once

namespace tristate::cli {

void install_download_meter();

}  // namespace tristate::cli
