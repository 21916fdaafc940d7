#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CBourseSystem

/// A joinable POSIX thread running one closure (one per graph node).
final class NodeThread {
    private final class Box {
        let body: () -> Void
        let name: String
        init(_ name: String, _ body: @escaping () -> Void) { self.name = name; self.body = body }
    }
    private var thread = pthread_t()
    private var joined = false

    /// Starts `body` on a new thread named `name` (cut to 15 bytes, as Linux requires).
    init(name: String, _ body: @escaping () -> Void) throws {
        let box = Unmanaged.passRetained(Box(name, body)).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            _ = bourse_set_thread_name(box.name)
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw BourseError(.io, "cannot start a thread for '\(name)': \(String(cString: strerror(rc)))", input: name)
        }
    }

    /// Waits for the thread to finish.
    func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }
}
