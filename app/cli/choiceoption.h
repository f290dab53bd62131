#pragma once
// Command-line options whose values are core choices (upstep/common/choices.h): the accepted
// names and the help's list come from the choice's one name table.
//
// Threading: used while the command line is parsed, on the main thread.

#include "upstep/common/choices.h"

#include <CLI/CLI.hpp>

#include <string>

namespace upstep::cli {

/// Adds `flags` to cmd; a given name is checked against the table and stored in value.
template <typename Enum>
CLI::Option *addChoiceOption(CLI::App &cmd, const std::string &flags, Enum &value, const std::string &help)
{
    return cmd.add_option(flags, help)
        ->type_name("TEXT")
        ->check(CLI::IsMember(core::choiceNames<Enum>()))
        ->each([&value](const std::string &name) { value = core::choiceFromName<Enum>(name); })
        ->default_str(core::choiceName(value));
}

} // namespace upstep::cli
