// Parsing request heads, routing them, encoding responses, and listen addresses.
import BourseMetrics
import Testing

private func parse(_ text: String) -> HTTPParseResult { HTTPRequestParser.parse(Array(text.utf8)) }

private func status(_ result: HTTPParseResult) -> HTTPStatus? {
    if case .refused(let status, _) = result { return status }
    return nil
}

@Suite struct HTTPParsingTests {
    @Test func http11GetWithHeaders() throws {
        guard case .request(let request) = parse("GET /metrics HTTP/1.1\r\nHost: localhost:9464\r\nAccept:  text/plain \r\nX-Empty:\r\n\r\n") else {
            Issue.record("not parsed"); return
        }
        #expect(request.method == "GET")
        #expect(request.target == "/metrics")
        #expect(request.path == "/metrics")
        #expect(request.minorVersion == 1)
        #expect(request.header("host") == "localhost:9464")
        #expect(request.header("ACCEPT") == "text/plain")
        #expect(request.header("x-empty") == "")
        #expect(request.header("missing") == nil)
    }

    @Test func http10WithoutHostBareLFAndLeadingEmptyLines() {
        guard case .request(let request) = parse("\r\n\nGET /metrics?name[]=x HTTP/1.0\nUser-Agent: curl\n\n") else {
            Issue.record("not parsed"); return
        }
        #expect(request.minorVersion == 0)
        #expect(request.path == "/metrics")
        #expect(request.target == "/metrics?name[]=x")
    }

    @Test func absoluteFormTarget() {
        guard case .request(let request) = parse("GET http://127.0.0.1:9464/metrics?a=1 HTTP/1.1\r\nHost: x\r\n\r\n") else {
            Issue.record("not parsed"); return
        }
        #expect(request.path == "/metrics")
        guard case .request(let bare) = parse("GET http://127.0.0.1:9464 HTTP/1.1\r\nHost: x\r\n\r\n") else {
            Issue.record("not parsed"); return
        }
        #expect(bare.path == "/")
    }

    @Test func incompleteUntilTheEmptyLine() {
        let full = Array("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        for end in 0..<full.count {
            #expect(HTTPRequestParser.parse(Array(full[..<end])) == .incomplete, "prefix of \(end) bytes")
        }
        if case .request = HTTPRequestParser.parse(full) {} else { Issue.record("full request not parsed") }
        // Bytes after the head (a body, a pipelined request) do not matter.
        if case .request = HTTPRequestParser.parse(full + Array("junk".utf8)) {} else { Issue.record("trailing bytes") }
        #expect(parse("\r\n\r\n") == .incomplete)
    }

    @Test func badRequestsAreRefused() {
        #expect(status(parse("GET /metrics\r\n\r\n")) == .badRequest)                      // HTTP/0.9 style
        #expect(status(parse("GET  /metrics HTTP/1.1\r\nHost: a\r\n\r\n")) == .badRequest) // two spaces
        #expect(status(parse("GET /metrics HTTP/1.1 extra\r\nHost: a\r\n\r\n")) == .badRequest)
        #expect(status(parse("GET /metrics HTTP/1.1x\r\nHost: a\r\n\r\n")) == .badRequest)
        #expect(status(parse("GET /metrics http/1.1\r\nHost: a\r\n\r\n")) == .badRequest)
        #expect(status(parse("G(T /metrics HTTP/1.1\r\nHost: a\r\n\r\n")) == .badRequest)
        #expect(status(parse("GET /met\u{1}rics HTTP/1.1\r\nHost: a\r\n\r\n")) == .badRequest)
        #expect(status(parse("GET /metrics HTTP/1.1\r\nHost a\r\n\r\n")) == .badRequest)  // no colon
        #expect(status(parse("GET /metrics HTTP/1.1\r\nHost : a\r\n\r\n")) == .badRequest) // space before colon
        #expect(status(parse("GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n")) == .badRequest)
        #expect(status(parse("GET /metrics HTTP/1.1\r\nHost: a\u{7F}\r\n\r\n")) == .badRequest)
        #expect(status(parse("GET /metrics HTTP/1.1\r\nUser-Agent: x\r\n\r\n")) == .badRequest) // 1.1 needs Host
        #expect(status(parse("\u{16}\u{3}\u{1}\r\n\r\n")) == .badRequest)                  // TLS-ish garbage
    }

    @Test func otherVersionsAre505() {
        #expect(status(parse("GET /metrics HTTP/2.0\r\n\r\n")) == .httpVersionNotSupported)
        #expect(status(parse("GET /metrics HTTP/0.9\r\n\r\n")) == .httpVersionNotSupported)
        #expect(status(parse("GET /metrics HTTP/3.0\r\nHost: a\r\n\r\n")) == .httpVersionNotSupported)
    }

    @Test func oversizedHeadsAre431EvenUnfinished() {
        let big = "GET /metrics HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "y", count: 9000)
        #expect(status(parse(big)) == .requestHeaderFieldsTooLarge)
        #expect(status(parse(big + "\r\n\r\n")) == .requestHeaderFieldsTooLarge)
        let justFits = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"
        if case .request = parse(justFits) {} else { Issue.record("small request refused") }
    }

    @Test func routing() {
        let endpoint = MetricsEndpoint()
        var rendered = 0
        func respond(_ text: String) -> HTTPResponse? {
            endpoint.respond(to: parse(text)) { rendered += 1; return "m 1\n" }
        }
        #expect(respond("GET /metrics HTTP/1.1\r\n") == nil)
        let ok = respond("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(ok?.status == .ok)
        #expect(ok?.body == Array("m 1\n".utf8))
        #expect(ok?.headers == ["Content-Type: text/plain; version=0.0.4; charset=utf-8"])
        #expect(respond("GET /metrics/ HTTP/1.1\r\nHost: a\r\n\r\n")?.status == .notFound)
        #expect(respond("GET / HTTP/1.0\r\n\r\n")?.status == .notFound)
        #expect(respond("POST /other HTTP/1.0\r\n\r\n")?.status == .notFound)
        let post = respond("POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        #expect(post?.status == .methodNotAllowed)
        #expect(post?.headers.contains("Allow: GET, HEAD") == true)
        #expect(respond("get /metrics HTTP/1.1\r\nHost: a\r\n\r\n")?.status == .methodNotAllowed)  // methods are case-sensitive
        #expect(respond("GET /metrics HTTP/2.0\r\n\r\n")?.status == .httpVersionNotSupported)
        let head = respond("HEAD /metrics HTTP/1.0\r\n\r\n")
        #expect(head?.status == .ok)
        #expect(head?.sendsBody == false)
        #expect(rendered == 2)  // only GET and HEAD on /metrics render
    }

    @Test func responseEncoding() {
        let response = HTTPResponse(status: .ok, headers: ["Content-Type: text/plain"], body: Array("abc".utf8))
        #expect(String(decoding: response.encoded(), as: UTF8.self)
            == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
        var head = response
        head.sendsBody = false
        #expect(String(decoding: head.encoded(), as: UTF8.self)
            == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\n")
        let error = HTTPResponse.error(.methodNotAllowed, "no", headers: ["Allow: GET, HEAD"])
        #expect(String(decoding: error.encoded(), as: UTF8.self)
            == "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nAllow: GET, HEAD\r\n"
                + "Content-Length: 3\r\nConnection: close\r\n\r\nno\n")
    }

    @Test func listenAddresses() throws {
        let v4 = try ListenAddress(parsing: "127.0.0.1:9464")
        #expect(v4.family == .ipv4 && v4.port == 9464 && v4.addressBytes == [127, 0, 0, 1])
        #expect(v4.description == "127.0.0.1:9464")
        #expect(try ListenAddress(parsing: "0.0.0.0:0").port == 0)
        let v6 = try ListenAddress(parsing: "[::1]:65535")
        #expect(v6.family == .ipv6 && v6.port == 65535 && v6.addressBytes == Array(repeating: 0, count: 15) + [1])
        #expect(v6.description == "[::1]:65535")
        #expect(v4.with(port: 40000).description == "127.0.0.1:40000")
    }

    @Test(arguments: [
        ("localhost:9464", "not a numeric IPv4 address"),
        ("127.0.0.1", "expected HOST:PORT"),
        ("127.0.0.1:", "must be a number from 0 to 65535"),
        ("127.0.0.1:65536", "must be a number from 0 to 65535"),
        ("127.0.0.1:-1", "must be a number from 0 to 65535"),
        ("127.0.0.1:94a", "must be a number from 0 to 65535"),
        ("127.0.0.1:0009464", "must be a number from 0 to 65535"),
        (":9464", "the host is empty"),
        ("1.2.3:80", "not a numeric IPv4 address"),
        ("256.0.0.1:80", "not a numeric IPv4 address"),
        ("::1:9464", "put an IPv6 address in brackets"),
        ("[::1]9464", "expected ':PORT' after the IPv6 address"),
        ("[::1:9464", "must be closed with ']'"),
        ("[127.0.0.1]:80", "not a numeric IPv6 address"),
        ("", "expected HOST:PORT"),
    ])
    func badListenAddresses(text: String, reason: String) {
        #expect {
            _ = try ListenAddress(parsing: text)
        } throws: { error in
            let description = "\(error)"
            return description.contains("invalid listen address \"\(text)\"") && description.contains(reason)
        }
    }

    @Test func fieldSelection() throws {
        let selection = try FieldSelection(["close", "ema20", "alert.score", "anomaly.score"])
        #expect(selection.selects("close", type: "bar"))
        #expect(selection.selects("close", type: "values"))
        #expect(!selection.selects("open", type: "bar"))
        #expect(selection.selects("score", type: "alert"))
        #expect(!selection.selects("score", type: "values"))
        #expect(selection.selects("anomaly.score", type: "values"))
        #expect(FieldSelection.everything.selects("anything", type: "bar"))
        #expect(throws: FieldSelectionError.self) { try FieldSelection([]) }
        #expect(throws: FieldSelectionError.self) { try FieldSelection(["close", " "]) }
        #expect(throws: FieldSelectionError.self) { try FieldSelection(["a b"]) }
        #expect(MessageFields.values(declared: ["macd", "signal"], count: 3) == ["macd", "signal", "v2"])
    }
}
