package dev.kodiak.web;

import org.teavm.jso.JSBody;
import org.teavm.jso.JSByRef;
import org.teavm.jso.JSFunctor;
import org.teavm.jso.JSObject;
import org.teavm.jso.dom.events.Event;
import org.teavm.jso.dom.html.HTMLElement;
import org.teavm.jso.file.Blob;
import org.teavm.jso.file.FileList;

/**
 * The few browser APIs teavm-jso-apis 0.16 lacks, as small JavaScript bridges: files, images,
 * HTTP, JSON values, events and timers. The model runtime's own bridges are in
 * {@link OrtSession}, {@link Download} and {@link Sha256}.
 *
 * <p>TeaVM's minifier renames the parameters of these scripts to short names but leaves their
 * local variables alone, so locals carry long {@code kodiak...} names that cannot collide.
 */
final class Browser {
    private Browser() {
    }

    /** Receives a decoded image, or null with a reason. */
    @JSFunctor
    interface DecodedCallback extends JSObject {
        void accept(JSObject bitmap, String error);
    }

    /** Receives bytes, or null with a reason. */
    @JSFunctor
    interface BytesCallback extends JSObject {
        void accept(JSObject bytes, String error);
    }

    /** Receives a blob (null if the browser could not encode). */
    @JSFunctor
    interface BlobCallback extends JSObject {
        void accept(Blob blob);
    }

    /** Receives a blob fetched from a URL, or null with an HTTP status. */
    @JSFunctor
    interface FetchCallback extends JSObject {
        void accept(Blob blob, int status);
    }

    /** Receives an HTTP answer: status (0 when the server was unreachable), body, Retry-After. */
    @JSFunctor
    interface ResponseCallback extends JSObject {
        void accept(int status, String body, String retryAfter);
    }

    /** A plain callback. */
    @JSFunctor
    interface Action extends JSObject {
        void run();
    }

    /** Reads a whole file into an Int8Array (null with a reason if it cannot be read). */
    @JSBody(params = {"blob", "callback"}, script = "blob.arrayBuffer().then("
            + "function(kodiakBuffer) { callback(new Int8Array(kodiakBuffer), null); },"
            + " function(kodiakError) { callback(null, String(kodiakError)); });")
    static native void readAll(Blob blob, BytesCallback callback);

    @JSBody(params = "bytes", script = "return bytes;")
    @JSByRef
    static native byte[] bytes(JSObject bytes);

    @JSBody(params = "bytes", script = "return bytes;")
    static native JSObject array(@JSByRef byte[] bytes);

    /** The same bytes seen as a Uint8Array (0 to 255), for pages and tests. */
    @JSBody(params = "bytes", script = "return new Uint8Array(bytes.buffer, bytes.byteOffset,"
            + " bytes.length);")
    static native JSObject unsigned(@JSByRef byte[] bytes);

    /**
     * Inflates a zlib stream with the browser's own {@code DecompressionStream("deflate")}: an
     * Int8Array, or null with the reason (a damaged or cut stream).
     */
    @JSBody(params = {"zlib", "callback"}, script = "try {"
            + " var kodiakStream = new Blob([zlib]).stream()"
            + ".pipeThrough(new DecompressionStream('deflate'));"
            + " new Response(kodiakStream).arrayBuffer().then("
            + "  function(kodiakBuffer) { callback(new Int8Array(kodiakBuffer), null); },"
            + "  function(kodiakError) { callback(null, String(kodiakError)); });"
            + "} catch (kodiakError) { callback(null, String(kodiakError)); }")
    static native void inflate(JSObject zlib, BytesCallback callback);

    /**
     * Decodes an image file as the server does: no colour management (PIL ignores embedded
     * profiles), no alpha premultiplication, and turned by its EXIF orientation, or not at all
     * when the caller applies the orientation PIL finds.
     *
     * @param blob the file
     * @param turned true for the browser's EXIF orientation ({@code 'from-image'}), false for
     *     the pixels as stored ({@code 'none'})
     * @param callback receives the ImageBitmap, or null and the reason
     */
    @JSBody(params = {"blob", "turned", "callback"}, script = "createImageBitmap(blob, "
            + "{imageOrientation: turned ? 'from-image' : 'none', colorSpaceConversion: 'none',"
            + " premultiplyAlpha: 'none'})"
            + ".then(function(decodedBitmap) { callback(decodedBitmap, null); },"
            + " function(decodeError) { callback(null, String(decodeError && decodeError.message"
            + " || decodeError)); });")
    static native void decode(Blob blob, boolean turned, DecodedCallback callback);

    @JSBody(params = "message", script = "console.warn('kodiak: ' + message);")
    static native void warn(String message);

    @JSBody(params = "bitmap", script = "return bitmap.width;")
    static native int width(JSObject bitmap);

    @JSBody(params = "bitmap", script = "return bitmap.height;")
    static native int height(JSObject bitmap);

    @JSBody(params = "bitmap", script = "if (bitmap.close) { bitmap.close(); }")
    static native void close(JSObject bitmap);

    /** The RGBA pixels of a decoded image, drawn 1:1 on a scratch canvas. */
    @JSBody(params = "bitmap", script = "var kodiakCanvas = document.createElement('canvas');"
            + "kodiakCanvas.width = bitmap.width; kodiakCanvas.height = bitmap.height;"
            + "var kodiakContext = kodiakCanvas.getContext('2d', {willReadFrequently: true});"
            + "kodiakContext.drawImage(bitmap, 0, 0);"
            + "var kodiakData = kodiakContext.getImageData(0, 0, kodiakCanvas.width,"
            + " kodiakCanvas.height).data;"
            + "return new Int8Array(kodiakData.buffer, kodiakData.byteOffset, kodiakData.length);")
    @JSByRef
    static native byte[] rgba(JSObject bitmap);

    /**
     * The RGBA pixels of a bitmap decoded without premultiplication, exactly: uploaded to a
     * WebGL texture as they are ({@code UNPACK_PREMULTIPLY_ALPHA_WEBGL} off, no colour
     * conversion) and read back from a framebuffer. A 2D canvas stores premultiplied colours,
     * which loses the colour under transparent pixels (PIL's {@code convert("RGB")} keeps it)
     * and rounds the rest. Null when the page has no WebGL.
     */
    @JSBody(params = "bitmap", script = "var kodiakCanvas = document.createElement('canvas');"
            + "kodiakCanvas.width = bitmap.width; kodiakCanvas.height = bitmap.height;"
            + "var kodiakGl = kodiakCanvas.getContext('webgl2') || kodiakCanvas.getContext('webgl');"
            + "if (!kodiakGl) { return null; }"
            + "var kodiakTexture = kodiakGl.createTexture();"
            + "kodiakGl.bindTexture(kodiakGl.TEXTURE_2D, kodiakTexture);"
            + "kodiakGl.pixelStorei(kodiakGl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);"
            + "kodiakGl.pixelStorei(kodiakGl.UNPACK_FLIP_Y_WEBGL, false);"
            + "kodiakGl.pixelStorei(kodiakGl.UNPACK_COLORSPACE_CONVERSION_WEBGL, kodiakGl.NONE);"
            + "kodiakGl.texImage2D(kodiakGl.TEXTURE_2D, 0, kodiakGl.RGBA, kodiakGl.RGBA,"
            + " kodiakGl.UNSIGNED_BYTE, bitmap);"
            + "var kodiakFrame = kodiakGl.createFramebuffer();"
            + "kodiakGl.bindFramebuffer(kodiakGl.FRAMEBUFFER, kodiakFrame);"
            + "kodiakGl.framebufferTexture2D(kodiakGl.FRAMEBUFFER, kodiakGl.COLOR_ATTACHMENT0,"
            + " kodiakGl.TEXTURE_2D, kodiakTexture, 0);"
            + "if (kodiakGl.checkFramebufferStatus(kodiakGl.FRAMEBUFFER)"
            + " !== kodiakGl.FRAMEBUFFER_COMPLETE) { return null; }"
            + "var kodiakPixels = new Int8Array(bitmap.width * bitmap.height * 4);"
            + "kodiakGl.readPixels(0, 0, bitmap.width, bitmap.height, kodiakGl.RGBA,"
            + " kodiakGl.UNSIGNED_BYTE, new Uint8Array(kodiakPixels.buffer));"
            + "kodiakGl.deleteFramebuffer(kodiakFrame); kodiakGl.deleteTexture(kodiakTexture);"
            + "var kodiakLose = kodiakGl.getExtension('WEBGL_lose_context');"
            + "if (kodiakLose) { kodiakLose.loseContext(); }"
            + "return kodiakPixels;")
    @JSByRef
    static native byte[] rgbaExact(JSObject bitmap);

    /** Opaque RGBA pixels encoded as a lossless PNG. */
    @JSBody(params = {"rgba", "width", "height", "callback"}, script =
            "var kodiakCanvas = document.createElement('canvas');"
            + "kodiakCanvas.width = width; kodiakCanvas.height = height;"
            + "var kodiakData = new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length);"
            + "kodiakCanvas.getContext('2d').putImageData(new ImageData(kodiakData, width, height),"
            + " 0, 0);"
            + "kodiakCanvas.toBlob(function(encodedBlob) { callback(encodedBlob); }, 'image/png');")
    static native void png(@JSByRef byte[] rgba, int width, int height, BlobCallback callback);

    @JSBody(params = {"element", "key"}, script = "var kodiakValue = element.dataset[key];"
            + "return kodiakValue === undefined ? null : kodiakValue;")
    static native String data(HTMLElement element, String key);

    @JSBody(params = "event", script = "return event.dataTransfer ? event.dataTransfer.files "
            + ": null;")
    static native FileList droppedFiles(Event event);

    @JSBody(params = "event", script = "return event.clipboardData ? event.clipboardData.files "
            + ": null;")
    static native FileList pastedFiles(Event event);

    @JSBody(params = "blob", script = "return URL.createObjectURL(blob);")
    static native String objectUrl(Blob blob);

    @JSBody(params = "url", script = "URL.revokeObjectURL(url);")
    static native void revoke(String url);

    @JSBody(params = {"url", "callback"}, script = "fetch(url).then(function(kodiakResponse) {"
            + "if (!kodiakResponse.ok) { callback(null, kodiakResponse.status); return; }"
            + "return kodiakResponse.blob().then(function(fetchedBlob) {"
            + " callback(fetchedBlob, 200); }); },"
            + " function() { callback(null, 0); });")
    static native void fetchBlob(String url, FetchCallback callback);

    /** POSTs a blob; status 0 means the request never reached an answer. */
    @JSBody(params = {"url", "body", "type", "callback"}, script =
            "var kodiakRequest = new XMLHttpRequest(); kodiakRequest.open('POST', url);"
            + "kodiakRequest.setRequestHeader('Content-Type', type);"
            + "kodiakRequest.onload = function() { callback(kodiakRequest.status,"
            + " kodiakRequest.responseText, kodiakRequest.getResponseHeader('Retry-After')); };"
            + "kodiakRequest.onerror = function() { callback(0, '', null); };"
            + "kodiakRequest.ontimeout = function() { callback(0, '', null); };"
            + "kodiakRequest.timeout = 30000; kodiakRequest.send(body);")
    static native void post(String url, Blob body, String type, ResponseCallback callback);

    @JSBody(params = {"url", "callback"}, script =
            "var kodiakRequest = new XMLHttpRequest(); kodiakRequest.open('GET', url);"
            + "kodiakRequest.onload = function() { callback(kodiakRequest.status,"
            + " kodiakRequest.responseText, null); };"
            + "kodiakRequest.onerror = function() { callback(0, '', null); };"
            + "kodiakRequest.timeout = 30000; kodiakRequest.ontimeout = kodiakRequest.onerror;"
            + " kodiakRequest.send();")
    static native void get(String url, ResponseCallback callback);

    /** A URL made absolute against the page's address. */
    @JSBody(params = "url", script = "return new URL(url, document.baseURI).href;")
    static native String absolute(String url);

    /** The URL of a file next to this script (the widget's assets folder). */
    @JSBody(params = "name", script = "return new URL(name, import.meta.url).href;")
    static native String besideScript(String name);

    @JSBody(params = {"millis", "action"}, script = "setTimeout(action, millis);")
    static native void later(int millis, Action action);

    @JSBody(script = "return performance.now();")
    static native double now();

    @JSBody(script = "return !!(window.matchMedia && matchMedia('(pointer: coarse)').matches);")
    static native boolean touchScreen();

    @JSBody(script = "return typeof WebAssembly === 'object' && typeof DecompressionStream"
            + " === 'function';")
    static native boolean canRunModels();

    /**
     * Whether the reader asked the browser to save data ({@code navigator.connection.saveData},
     * Chromium's Data Saver or Lite mode): then nothing loads before the reader chooses an image.
     */
    @JSBody(script = "return !!(navigator.connection && navigator.connection.saveData);")
    static native boolean saveData();

    /** Scrolls the least that brings the element into view (none when it already is). */
    @JSBody(params = "element", script = "if (element.scrollIntoView) {"
            + " element.scrollIntoView({block: 'nearest'}); }")
    static native void reveal(HTMLElement element);

    /** Dispatches a bubbling CustomEvent with a detail object. */
    @JSBody(params = {"element", "type", "detail"}, script = "element.dispatchEvent("
            + "new CustomEvent(type, {detail: detail, bubbles: true}));")
    static native void dispatch(HTMLElement element, String type, JSObject detail);

    /** A number with a fixed count of decimals, by the browser (no Java formatting code). */
    @JSBody(params = {"value", "digits"}, script = "return value.toFixed(digits);")
    static native String fixed(double value, int digits);

    @JSBody(params = "text", script = "return JSON.parse(text);")
    static native JSObject parse(String text);

    @JSBody(params = {"o", "k"}, script = "var kodiakValue = o == null ? undefined : o[k];"
            + "return kodiakValue === undefined || kodiakValue === null ? null"
            + " : String(kodiakValue);")
    static native String string(JSObject o, String k);

    @JSBody(params = {"o", "k"}, script = "var kodiakValue = o == null ? undefined : o[k];"
            + "return typeof kodiakValue === 'number' ? kodiakValue : NaN;")
    static native double number(JSObject o, String k);

    @JSBody(params = {"o", "k"}, script = "return o == null ? null : (o[k] === undefined ? null "
            + ": o[k]);")
    static native JSObject get(JSObject o, String k);

    @JSBody(params = "o", script = "return Array.isArray(o) ? o.length : -1;")
    static native int length(JSObject o);

    @JSBody(params = {"o", "i"}, script = "return o[i];")
    static native JSObject at(JSObject o, int i);

    @JSBody(params = "o", script = "return o === true;")
    static native boolean isTrue(JSObject o);

    @JSBody(params = "o", script = "return typeof o === 'number' ? o : NaN;")
    static native double asNumber(JSObject o);

    @JSBody(params = "o", script = "return o == null ? null : String(o);")
    static native String asString(JSObject o);

    @JSBody(script = "return {};")
    static native JSObject object();

    @JSBody(script = "return [];")
    static native JSObject list();

    @JSBody(params = {"a", "v"}, script = "a.push(v);")
    static native void push(JSObject a, JSObject v);

    @JSBody(params = {"a", "v"}, script = "a.push(v);")
    static native void pushString(JSObject a, String v);

    @JSBody(params = {"o", "k", "v"}, script = "o[k] = v;")
    static native void put(JSObject o, String k, JSObject v);

    @JSBody(params = {"o", "k", "v"}, script = "o[k] = v;")
    static native void put(JSObject o, String k, String v);

    @JSBody(params = {"o", "k", "v"}, script = "o[k] = v;")
    static native void put(JSObject o, String k, double v);

    @JSBody(params = {"o", "k", "v"}, script = "o[k] = v;")
    static native void put(JSObject o, String k, boolean v);
}
