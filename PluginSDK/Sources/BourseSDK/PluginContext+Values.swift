// Publishing indicator values without building a Payload: the values are
// written straight into the SDK's outgoing buffer (the hot path of indicator plugins).

internal import CBourseABI

extension PluginContext {
    /// Publishes a values message (``Payload/values(_:)``) of `count` values
    /// that `write` stores straight into the outgoing record: no
    /// ``IndicatorValues`` or ``Payload`` is built and nothing is copied twice.
    ///
    /// `write` gets a buffer of exactly `count` doubles (uninitialised) and
    /// must set every one of them; value *i* has the name of field *i*
    /// declared for `topic`. Same rules and errors as
    /// ``publish(_:topic:instrument:eventTime:flags:)``; throws
    /// ``PluginError`` when `count` is not in 0...``IndicatorValues/capacity``.
    ///
    /// ```swift
    /// try context.publishValues(count: 2, topic: out, instrument: id, eventTime: t) { values in
    ///     values[0] = upper
    ///     values[1] = lower
    /// }
    /// ```
    @inlinable
    public func publishValues(count: Int, topic: Topic, instrument: Instrument = .none, eventTime: Int64,
                              flags: UInt16 = 0, _ write: (UnsafeMutableBufferPointer<Double>) -> Void) throws {
        guard count >= 0 && count <= IndicatorValues.capacity else { throw PluginError.tooManyValues(count) }
        let length = PayloadCodec.valuesLength(count: count)
        let record = try reserveRecord(size: RecordLayout.recordSize(payloadLength: length), topic: topic)
        RecordLayout.writeHeader(
            to: record, type: 4, flags: flags, payloadLength: length, topic: topic.id,
            instrument: instrument.id, eventTime: eventTime, createdTime: 0)
        // bourse_values: count, reserved, then the doubles (the record size is length + 48, already 8-aligned).
        (record + BourseABI.headerSize).storeBytes(of: UInt32(truncatingIfNeeded: count), as: UInt32.self)
        (record + BourseABI.headerSize + 4).storeBytes(of: 0, as: UInt32.self)
        let values = (record + BourseABI.headerSize + 8).bindMemory(to: Double.self, capacity: count)
        write(UnsafeMutableBufferPointer(start: values, count: count))
    }

    /// Checks that publishing on `topic` is allowed now and reserves `size`
    /// bytes for one record in the outgoing buffer (handing the pending
    /// records to the host first when the buffer is full).
    @inlinable @inline(__always) func reserveRecord(size: Int, topic: Topic) throws -> UnsafeMutableRawPointer {
        guard phase == .running, isOutput(topic) else { throw publishRefused(topic) }
        if outgoing.needsFlush(before: size) {
            try flushOutgoing()
        }
        return outgoing.append(size: size)
    }

    /// Publishes `values` on one of this node's ``outputs``; the same as
    /// `publish(.values(values), …)`, without building a ``Payload``.
    @inlinable
    public func publish(_ values: IndicatorValues, topic: Topic, instrument: Instrument = .none, eventTime: Int64,
                        flags: UInt16 = 0) throws {
        try publishValues(count: values.count, topic: topic, instrument: instrument, eventTime: eventTime,
                          flags: flags) { destination in
            values.write(to: UnsafeMutableRawPointer(destination.baseAddress!))
        }
    }

    /// Publishes a copy of `values` (at most ``IndicatorValues/capacity``) as
    /// one values message on one of this node's ``outputs``.
    @inlinable
    public func publish(values: UnsafeBufferPointer<Double>, topic: Topic, instrument: Instrument = .none,
                        eventTime: Int64, flags: UInt16 = 0) throws {
        try publishValues(count: values.count, topic: topic, instrument: instrument, eventTime: eventTime,
                          flags: flags) { destination in
            if let source = values.baseAddress {
                destination.baseAddress!.update(from: source, count: values.count)
            }
        }
    }
}

extension PluginError {
    /// A values message with more values than one message carries.
    @usableFromInline static func tooManyValues(_ count: Int) -> PluginError {
        PluginError("cannot publish \(count) values in one message: 0...\(IndicatorValues.capacity) fit")
    }
}
