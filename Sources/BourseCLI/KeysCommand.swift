import ArgumentParser

/// `bourse keys …`: signing keys. trust/untrust/list manage the keys the
/// plugin store accepts (StoreQueryCommands.swift); key generation belongs here too.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage signing keys: which keys the plugin store trusts.",
        discussion: "Packages are installed only when signed by a trusted key. Keys are files; never commit a private key.",
        subcommands: [KeysGenerate.self, KeysTrust.self, KeysUntrust.self, KeysList.self])
}
