package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit statuses, the same for every command: success, a failure while doing the work,
// and a command line that is wrong (unknown command or flag, bad flag value, missing or
// extra argument), for which nothing was done.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a mistake in the command line; main exits exitUsage for it.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with the formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitCode is the process exit status for the error run returned.
func exitCode(err error) int {
	var u *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &u):
		return exitUsage
	}
	return exitFailure
}

// newFlags returns the flag set of command name. Parse errors and the usage go to
// stderr; the usage is the text usage followed by the defaults of the flags defined
// on the set.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. help is true when args asked for help (-h, --help),
// after the usage has been printed: the command then stops and succeeds. err is a
// parse error (a usageError), already reported with the usage.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return true, nil
	}
	if err != nil {
		return false, &usageError{err}
	}
	return false, nil
}

// isHelp reports whether arg, in the place of a command or subcommand name, asks for
// help.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "--help", "-help":
		return true
	}
	return false
}
