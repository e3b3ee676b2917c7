package dev.kodiak.web;

import org.teavm.jso.JSBody;
import org.teavm.jso.JSFunctor;
import org.teavm.jso.JSObject;

/**
 * Fetches one file with progress, through the browser's HTTP cache, reading the body with a
 * {@code ReadableStream} reader so the widget can show megabytes as they arrive. The bytes stay a
 * JavaScript {@code Uint8Array}: they go to SubtleCrypto and onnxruntime-web without a copy into
 * Java.
 */
final class Download {
    /** The status of a download refused because it grew past the size limit. */
    static final int TOO_BIG = -2;

    private Download() {
    }

    /**
     * Bytes so far (as decoded), the total when the server said it (-1 when unknown or
     * compressed), and the compressed size on the wire when the server compressed the file and
     * said that size (-1 otherwise).
     */
    @JSFunctor
    interface Progress extends JSObject {
        void update(double loaded, double total, double compressed);
    }

    /**
     * The end: the bytes with status 200; or null with the HTTP status, 0 when the network
     * failed, or {@link #TOO_BIG}, and a reason for the console.
     */
    @JSFunctor
    interface Done extends JSObject {
        void done(JSObject bytes, int status, String reason);
    }

    /**
     * Starts a download.
     *
     * @param url the file's address
     * @param limit the most bytes to accept, 0 for no limit; a larger file is abandoned as soon
     *     as its size is known or its bytes pass the limit
     * @param progress called as bytes arrive
     * @param done called once at the end
     */
    @JSBody(params = {"url", "limit", "progress", "done"}, script = ""
            + "var kodiakController = typeof AbortController === 'function'"
            + " ? new AbortController() : null;"
            + "fetch(url, kodiakController ? {signal: kodiakController.signal} : {})"
            + ".then(function(kodiakResponse) {"
            + " if (!kodiakResponse.ok) { done(null, kodiakResponse.status, 'HTTP '"
            + "  + kodiakResponse.status + ' for ' + url); return; }"
            + " var kodiakEncoding = kodiakResponse.headers.get('Content-Encoding');"
            + " var kodiakLength = Number(kodiakResponse.headers.get('Content-Length'));"
            + " var kodiakPacked = kodiakEncoding && kodiakEncoding !== 'identity';"
            + " var kodiakTotal = kodiakPacked || !(kodiakLength > 0) ? -1 : kodiakLength;"
            + " var kodiakWire = kodiakPacked && kodiakLength > 0 ? kodiakLength : -1;"
            + " if (limit > 0 && kodiakTotal > limit) {"
            + "  if (kodiakController) { kodiakController.abort(); }"
            + "  done(null, -2, url + ' is ' + kodiakTotal + ' bytes'); return; }"
            + " progress(0, kodiakTotal, kodiakWire);"
            + " if (!kodiakResponse.body || !kodiakResponse.body.getReader) {"
            + "  return kodiakResponse.arrayBuffer().then(function(kodiakBuffer) {"
            + "   progress(kodiakBuffer.byteLength, kodiakTotal, kodiakWire);"
            + "   done(new Uint8Array(kodiakBuffer), 200, null); }); }"
            + " var kodiakReader = kodiakResponse.body.getReader();"
            + " var kodiakChunks = []; var kodiakLoaded = 0;"
            + " var kodiakPump = function() {"
            + "  return kodiakReader.read().then(function(kodiakPart) {"
            + "   if (kodiakPart.done) {"
            + "    var kodiakAll = new Uint8Array(kodiakLoaded); var kodiakAt = 0;"
            + "    for (var kodiakI = 0; kodiakI < kodiakChunks.length; kodiakI++) {"
            + "     kodiakAll.set(kodiakChunks[kodiakI], kodiakAt);"
            + "     kodiakAt += kodiakChunks[kodiakI].length; }"
            + "    done(kodiakAll, 200, null); return; }"
            + "   kodiakChunks.push(kodiakPart.value); kodiakLoaded += kodiakPart.value.length;"
            + "   if (limit > 0 && kodiakLoaded > limit) { kodiakReader.cancel();"
            + "    done(null, -2, url + ' is more than ' + limit + ' bytes'); return; }"
            + "   progress(kodiakLoaded, kodiakTotal, kodiakWire);"
            + "   return kodiakPump(); }); };"
            + " return kodiakPump();"
            + "}).catch(function(kodiakError) { done(null, 0, String(kodiakError)); });")
    static native void start(String url, double limit, Progress progress, Done done);

    /** The length of a Uint8Array. */
    @JSBody(params = "bytes", script = "return bytes.length;")
    static native double length(JSObject bytes);

    /** Decodes UTF-8 bytes, as a manifest's text. */
    @JSBody(params = "bytes", script = "return new TextDecoder('utf-8').decode(bytes);")
    static native String text(JSObject bytes);
}
