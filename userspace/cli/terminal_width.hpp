// How wide the table on standard output may be: a terminal's width, nothing for a pipe or file.
#pragma once

#include <cstddef>

namespace tristate::cli {

// Columns of the terminal on `fd`: $COLUMNS when it is a positive number (as ls(1) reads it),
// else the TIOCGWINSZ ioctl, else 80. 0 (unlimited) when `fd` is not a terminal.
std::size_t terminal_width(int fd);

}  // namespace tristate::cli
