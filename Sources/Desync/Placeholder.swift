public final class Scheduler: Sendable {
    public static let shared = Scheduler()
}
