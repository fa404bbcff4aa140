import Foundation

// The runtime is closed (and its objects' work done) inside Host.main, before the exit.
exit(Host.main(arguments: CommandLine.arguments))
