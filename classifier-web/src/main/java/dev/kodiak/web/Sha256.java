package dev.kodiak.web;

import org.teavm.jso.JSBody;
import org.teavm.jso.JSFunctor;
import org.teavm.jso.JSObject;

/**
 * SHA-256 by the browser's SubtleCrypto, which exists only on secure pages (HTTPS, or a page
 * from this machine); elsewhere {@link #available()} is false and the caller decides.
 */
final class Sha256 {
    private Sha256() {
    }

    /** Receives the lower-case hex digest, or null with the reason. */
    @JSFunctor
    interface Digest extends JSObject {
        void accept(String hex, String error);
    }

    @JSBody(script = "return !!(typeof crypto === 'object' && crypto.subtle"
            + " && crypto.subtle.digest);")
    static native boolean available();

    /**
     * Hashes bytes.
     *
     * @param bytes a Uint8Array
     * @param callback receives the digest
     */
    @JSBody(params = {"bytes", "callback"}, script = "crypto.subtle.digest('SHA-256', bytes)"
            + ".then(function(kodiakHash) {"
            + " var kodiakView = new Uint8Array(kodiakHash), kodiakHex = '';"
            + " for (var kodiakI = 0; kodiakI < kodiakView.length; kodiakI++) {"
            + "  kodiakHex += (kodiakView[kodiakI] < 16 ? '0' : '')"
            + "   + kodiakView[kodiakI].toString(16); }"
            + " callback(kodiakHex, null); },"
            + " function(kodiakError) { callback(null, String(kodiakError)); });")
    static native void of(JSObject bytes, Digest callback);
}
