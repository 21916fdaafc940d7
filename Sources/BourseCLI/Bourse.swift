import ArgumentParser

/// The `bourse` command: run and check plugin graphs, inspect plugins.
@main
struct Bourse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bourse",
        abstract: "A plugin-hosting runtime for market data.",
        discussion: """
        Bourse loads plugins (sources, indicators, models, codecs, exporters) from \
        .so files and connects them through a publish/subscribe bus into graphs \
        described in YAML files.

        Plugins named without a path are searched as libbourse-NAME.so, then \
        libNAME.so, in: the graph's plugin_path, --plugin-path, \
        $BOURSE_PLUGIN_PATH, and the directory of the bourse executable.

        Exit status: 0 success, 1 failure (validation errors, a failed node), \
        64 bad arguments, 130 stopped by a signal.
        """,
        version: bourseVersion,
        subcommands: [Run.self, Graph.self, Plugin.self, Install.self, Upgrade.self, Rollback.self, Uninstall.self, List.self, Info.self,
                      History.self, Verify.self, Pin.self, GC.self, Keys.self, RegistryCommand.self, SearchCommand.self, IndexCommand.self, Bench.self, Eval.self, Version.self]
    )
}

/// The version of this build of Bourse.
let bourseVersion = "0.1.0"
