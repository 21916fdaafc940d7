#if canImport(Glibc)
import Glibc
#endif
import BourseIsolation

// bourse-worker: hosts one plugin instance in a sandbox, for the bourse host.
exit(WorkerMain.run(arguments: Array(CommandLine.arguments.dropFirst())))
