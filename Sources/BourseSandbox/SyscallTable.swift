import BourseCore

/// The exact system-call table of a permission set, per stage: what
/// `bourse plugin permissions PLUGIN` prints.
///
/// `Codable` for `--json` (encode it with `JSONEncoder`); ``text()`` and
/// ``markdown()`` for people; ``json()`` produces the same JSON without
/// Foundation (the worker and the probe do not link it).
public struct SyscallTable: Hashable, Sendable, Codable {
    /// The permissions, as a canonical list (`network,threads` or `none`).
    public var permissionList: String
    /// The permissions.
    public var permissions: PluginPermissions
    /// The policies in the order a worker enters them (loader, strict).
    public var stages: [SeccompPolicy]

    /// The table for `permissions`: both stages.
    public init(permissions: PluginPermissions) {
        self.permissionList = permissions.description
        self.permissions = permissions
        self.stages = SeccompPolicy.stages(for: permissions)
    }

    /// The table for `permissions` limited to the given stages.
    public init(permissions: PluginPermissions, stages: [SeccompPolicy.Stage]) {
        self.init(permissions: permissions)
        self.stages = self.stages.filter { stages.contains($0.stage) }
    }

    /// Aligned plain-text columns, one block per stage.
    public func text() -> String {
        var lines = ["permissions: \(permissionList)"]
        for policy in stages {
            lines.append("")
            lines.append("stage \(policy.stage): default \(policy.defaultAction); other architectures \(policy.foreignArchitectureAction)")
            let header = ["SYSCALL", "ACTION", "CONDITION", "REASON"]
            let rows = policy.rules.map { [$0.syscall, $0.action.description, $0.conditionText, $0.reason] }
            var widths = header.map(\.count)
            for row in rows { for i in 0..<3 { widths[i] = max(widths[i], row[i].count) } }
            for row in [header] + rows {
                var line = ""
                for i in 0..<3 { line += row[i] + String(repeating: " ", count: widths[i] - row[i].count + 2) }
                lines.append("  " + line + row[3])
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One Markdown table per stage (for docs/security.md).
    public func markdown() -> String {
        var lines: [String] = []
        for policy in stages {
            lines.append("#### Stage `\(policy.stage)` — permissions `\(permissionList)`")
            lines.append("")
            lines.append("Default: `\(policy.defaultAction)`; other architectures (int 0x80, x32): `\(policy.foreignArchitectureAction)`.")
            lines.append("")
            lines.append("| System call | Action | Condition | Reason |")
            lines.append("|---|---|---|---|")
            for rule in policy.rules {
                let condition = rule.conditions.isEmpty ? "always" : "`" + rule.conditionText + "`"
                lines.append("| `\(rule.syscall)` | `\(rule.action)` | \(escapeMarkdown(condition)) | \(escapeMarkdown(rule.reason)) |")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// Markdown tables of what differs from `base` (same stages): rules only
    /// in this table (`+`) and rules only in `base` (`−`), per stage. Used to
    /// show what one permission changes.
    public func markdownDifferences(from base: SyscallTable) -> String {
        var lines: [String] = []
        for policy in stages {
            guard let other = base.stages.first(where: { $0.stage == policy.stage }) else { continue }
            let added = policy.rules.filter { !other.rules.contains($0) }
            let removed = other.rules.filter { !policy.rules.contains($0) }
            lines.append("#### Stage `\(policy.stage)`: `\(permissionList)` compared with `\(base.permissionList)`")
            lines.append("")
            guard !added.isEmpty || !removed.isEmpty else { lines += ["No difference.", ""]; continue }
            lines.append("| | System call | Action | Condition | Reason |")
            lines.append("|---|---|---|---|---|")
            for (sign, rule) in added.map({ ("+", $0) }) + removed.map({ ("−", $0) }) {
                let condition = rule.conditions.isEmpty ? "always" : "`" + rule.conditionText + "`"
                lines.append("| \(sign) | `\(rule.syscall)` | `\(rule.action)` | \(escapeMarkdown(condition)) | \(escapeMarkdown(rule.reason)) |")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// The JSON `JSONEncoder` would produce for this value (keys in
    /// declaration order, no whitespace), built without Foundation.
    public func json() -> String {
        func string(_ text: String) -> String { jsonQuoted(text) }
        func permissions(_ p: PluginPermissions) -> String {
            "{\"network\":\(p.network),\"threads\":\(p.threads),\"execMemory\":\(p.execMemory),"
                + "\"readPaths\":[\(p.readPaths.map(string).joined(separator: ","))],"
                + "\"writePaths\":[\(p.writePaths.map(string).joined(separator: ","))],"
                + "\"readPathsUnscoped\":\(p.readPathsUnscoped),\"writePathsUnscoped\":\(p.writePathsUnscoped)}"
        }
        func condition(_ c: ArgumentCondition) -> String {
            let value: String
            switch c.value {
            case .constant(let number): value = String(number)
            case .ownProcessID: value = string("own-pid")
            }
            return "{\"argument\":\(c.argument),\"argumentName\":\(string(c.argumentName)),"
                + "\"comparison\":\(string(c.comparison.rawValue)),\"value\":\(value),\"mask\":\(c.mask),\"text\":\(string(c.text))}"
        }
        func rule(_ r: SeccompRule) -> String {
            "{\"syscall\":\(string(r.syscall)),\"action\":\(string(r.action.description)),"
                + "\"conditions\":[\(r.conditions.map(condition).joined(separator: ","))],\"reason\":\(string(r.reason))}"
        }
        func policy(_ p: SeccompPolicy) -> String {
            "{\"stage\":\(string(p.stage.rawValue)),\"permissions\":\(permissions(p.permissions)),"
                + "\"defaultAction\":\(string(p.defaultAction.description)),"
                + "\"foreignArchitectureAction\":\(string(p.foreignArchitectureAction.description)),"
                + "\"rules\":[\(p.rules.map(rule).joined(separator: ","))]}"
        }
        return "{\"permissionList\":\(string(permissionList)),\"permissions\":\(permissions(self.permissions)),"
            + "\"stages\":[\(stages.map(policy).joined(separator: ","))]}"
    }

    private func escapeMarkdown(_ text: String) -> String {
        text.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
    }
}
