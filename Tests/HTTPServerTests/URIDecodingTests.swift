@testable import HTTPServer
import VPPTestSupport
import Testing

@Suite("Request target decoding")
struct URIDecodingTests {
    @Test func pathIsPercentDecodedButPlusIsKept() {
        let (path, query) = URIDecoding.parse(target: "/v1/a%2Bb+c%41")
        #expect(path == "/v1/a+b+cA")
        #expect(query.isEmpty)
    }

    @Test func absoluteFormAndFragmentAreStripped() {
        let (path, query) = URIDecoding.parse(target: "http://example.com:8080/x?y=1#frag")
        #expect(path == "/x")
        #expect(query.map(\.name) == ["y"])
        #expect(URIDecoding.parse(target: "http://example.com").path == "/")
    }

    @Test func malformedEscapesAndInvalidUTF8AreTolerated() {
        #expect(URIDecoding.parse(target: "/%").path == "/%")
        #expect(URIDecoding.parse(target: "/%4").path == "/%4")
        #expect(URIDecoding.parse(target: "/%FF").path == "/\u{FFFD}")
        let query = URIDecoding.parse(target: "/?&&a=%3D%26&=v&k==").query
        #expect(query.map { "\($0.name)|\($0.value)" } == ["a|=&", "|v", "k|="])
    }

    @Test func headerLookupIsCaseInsensitive() {
        let request = HTTPRequest(method: "GET", path: "/", headers: [("Accept", "a"), ("X-Multi", "1"), ("x-multi", "2")])
        #expect(request.header("accept") == "a")
        #expect(request.header("ACCEPT") == "a")
        #expect(request.headerValues("X-MULTI") == ["1", "2"])
        #expect(request.headers.map(\.name) == ["accept", "x-multi", "x-multi"])
    }
}
