/// What the kernel does when a filtered system call matches a rule.
///
/// Encoded (JSON, tables) as the strings `allow`, `errno(EPERM)`,
/// `errno(ENOSYS)`, ... and `kill-process`.
public enum SeccompAction: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Let the call through.
    case allow
    /// Fail the call with this errno without running it.
    case errno(Int32)
    /// Kill the whole process with SIGSYS (`SCMP_ACT_KILL_PROCESS`): for calls only an attack makes.
    case killProcess

    /// `errno(EPERM)`: the default for everything not listed.
    public static let deny = SeccompAction.errno(LinuxConstants.EPERM)
    /// `errno(ENOSYS)`: "not implemented", for calls whose callers fall back to an older call.
    public static let notImplemented = SeccompAction.errno(LinuxConstants.ENOSYS)

    /// `allow`, `errno(EPERM)` or `kill-process`.
    public var description: String {
        switch self {
        case .allow: return "allow"
        case .errno(let code): return "errno(\(LinuxConstants.errnoName(code)))"
        case .killProcess: return "kill-process"
        }
    }

    /// Parses what ``description`` prints.
    public init?(_ text: String) {
        switch text {
        case "allow": self = .allow
        case "kill-process": self = .killProcess
        default:
            guard text.hasPrefix("errno("), text.hasSuffix(")") else { return nil }
            let inner = String(text.dropFirst(6).dropLast())
            if let code = Int32(inner) { self = .errno(code); return }
            guard let code = LinuxConstants.errnoCode(inner) else { return nil }
            self = .errno(code)
        }
    }

    /// Encodes as the ``description`` string.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Decodes the ``description`` string.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let action = SeccompAction(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown seccomp action '\(text)'")
        }
        self = action
    }
}

/// The right-hand side of an argument comparison.
public enum ConditionValue: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A fixed number.
    case constant(UInt64)
    /// The process id of the process that applies the filter (filled in by
    /// ``SeccompPolicy/apply(processID:)``), so signals can target only itself.
    case ownProcessID

    /// The number, or `own-pid`.
    public var description: String {
        switch self {
        case .constant(let value): return String(value)
        case .ownProcessID: return "own-pid"
        }
    }

    /// The number to compare with, given the process id.
    public func resolved(processID: Int32) -> UInt64 {
        switch self {
        case .constant(let value): return value
        case .ownProcessID: return UInt64(UInt32(bitPattern: processID))
        }
    }

    /// Encodes a number, or the string `own-pid`.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .constant(let value): try container.encode(value)
        case .ownProcessID: try container.encode("own-pid")
        }
    }

    /// Decodes a number or `own-pid`.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(UInt64.self) {
            self = .constant(value)
        } else if try container.decode(String.self) == "own-pid" {
            self = .ownProcessID
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a number or own-pid")
        }
    }
}

/// A comparison on one system-call argument register (all 64 bits).
///
/// Seccomp sees only register values: it can compare numbers and flags but
/// never follow a pointer (so it cannot check a path string).
public struct ArgumentCondition: Hashable, Sendable, Codable, CustomStringConvertible {
    /// How the argument is compared.
    public enum Comparison: String, Hashable, Sendable, Codable, CaseIterable {
        /// `arg == value`
        case equal = "=="
        /// `arg != value`
        case notEqual = "!="
        /// `(arg & mask) == value`
        case maskedEqual = "&=="
        /// `arg <= value` (unsigned)
        case lessOrEqual = "<="
        /// `arg >= value` (unsigned)
        case greaterOrEqual = ">="
    }

    /// Argument index, 0...5.
    public var argument: Int
    /// The argument's name in the man page (`flags`, `domain`...).
    public var argumentName: String
    /// The comparison.
    public var comparison: Comparison
    /// The value compared with (after masking for `maskedEqual`).
    public var value: ConditionValue
    /// The mask for `maskedEqual`, else 0.
    public var mask: UInt64
    /// A readable form, e.g. `flags & (O_ACCMODE|O_CREAT) == O_RDONLY`.
    public var text: String

    /// Creates a condition; `text` defaults to a form built from the numbers.
    public init(argument: Int, name: String, _ comparison: Comparison, _ value: ConditionValue,
                mask: UInt64 = 0, text: String? = nil) {
        self.argument = argument
        self.argumentName = name
        self.comparison = comparison
        self.value = value
        self.mask = mask
        switch comparison {
        case .maskedEqual:
            self.text = text ?? "\(name) & \(hex(mask)) == \(value)"
        default:
            self.text = text ?? "\(name) \(comparison.rawValue) \(value)"
        }
    }

    /// `argN (text)`.
    public var description: String { "arg\(argument): \(text)" }
}

private func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

/// One line of a seccomp policy: a system call, what happens to it, when
/// (all conditions must hold; several rules for one call are alternatives),
/// and why.
public struct SeccompRule: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The system call's name as libseccomp knows it (`openat`, `clone3`...).
    public var syscall: String
    /// The action when the conditions hold.
    public var action: SeccompAction
    /// Conditions on the arguments, all required; empty = always.
    public var conditions: [ArgumentCondition]
    /// Why the rule exists, for a human.
    public var reason: String

    /// Creates a rule.
    public init(_ syscall: String, _ action: SeccompAction, when conditions: [ArgumentCondition] = [], reason: String) {
        self.syscall = syscall
        self.action = action
        self.conditions = conditions
        self.reason = reason
    }

    /// The conditions joined with `&&`, or `always`.
    public var conditionText: String {
        conditions.isEmpty ? "always" : conditions.map(\.text).joined(separator: " && ")
    }

    /// `syscall action [conditions] — reason`.
    public var description: String {
        "\(syscall) \(action) [\(conditionText)] — \(reason)"
    }
}
