package dev.kodiak.core.decode;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;

/**
 * libwebp 1.x's decoding and animation API ({@code WebPGetFeaturesInternal},
 * {@code WebPAnimDecoderNewInternal}, {@code WebPAnimDecoderGetNext}, ...) through the Foreign
 * Function and Memory API: what PIL 9.4's {@code _webp} module calls for every WebP, still or
 * animated, so the pixels are PIL's. Compiled for Java 22 from {@code src/main/java22} and loaded
 * by reflection ({@link WebpDecoderChoice}), only on Java 22 or later.
 *
 * <p>Safety: every image gets its own confined {@link Arena}, which frees the copy of the
 * encoded bytes and the library's decoder (and with it the canvas) however the decode ends. The
 * canvas is allocated by libwebp only in {@link Image#decode()}, after the caller has checked the
 * size {@code WebPGetFeatures} read; the canvas libwebp reports is checked to be that size
 * before a byte of it is read. Immutable and thread-safe.
 */
@SuppressWarnings("restricted")
final class LibWebp implements NativeWebp {
    /** libwebp 1.x's ABI versions (decode.h, demux.h), which its functions check. */
    private static final int DECODER_ABI_VERSION = 0x0209;
    private static final int DEMUX_ABI_VERSION = 0x0107;
    private static final int VP8_STATUS_OK = 0;
    private static final String[] STATUS = {"OK", "out of memory", "invalid parameter",
        "bitstream error", "unsupported feature", "suspended", "user abort", "not enough data"};

    private final String library;
    private final String version;
    /** The bytes of a C size_t: 8 on 64-bit platforms. */
    private final long sizeBytes;
    private final MethodHandle getFeatures;
    private final MethodHandle decoderNew;
    private final MethodHandle decoderGetInfo;
    private final MethodHandle decoderGetNext;
    private final MethodHandle decoderDelete;

    /**
     * Loads the library; called by reflection.
     *
     * @param location a library name or path (libwebpdemux, which links libwebp), or null for
     *     the platform's usual names
     * @throws IllegalArgumentException if the library cannot be loaded (the message says why)
     * @throws NoSuchElementException if a function is missing
     * @throws IllegalCallerException if native access is disabled for this module
     */
    LibWebp(String location) {
        List<String> names = location != null ? List.of(location) : usualNames();
        SymbolLookup lookup = null;
        List<String> tried = new ArrayList<>();
        for (String name : names) {
            try {
                lookup = name.indexOf('/') >= 0 || name.indexOf('\\') >= 0
                        ? SymbolLookup.libraryLookup(Path.of(name), Arena.global())
                        : SymbolLookup.libraryLookup(name, Arena.global());
                break;
            } catch (IllegalArgumentException e) {
                tried.add(name + " (" + e.getMessage() + ")");
            }
        }
        if (lookup == null) {
            throw new IllegalArgumentException("cannot load " + String.join(", ", tried));
        }
        this.library = names.get(tried.size());
        Linker linker = Linker.nativeLinker();
        MemoryLayout size = linker.canonicalLayouts().get("size_t");
        this.sizeBytes = size.byteSize();
        AddressLayout pointer = ValueLayout.ADDRESS;
        ValueLayout.OfInt cInt = ValueLayout.JAVA_INT;
        // libwebpdemux links libwebp: its handle finds libwebp's functions too
        getFeatures = function(linker, lookup, "WebPGetFeaturesInternal",
                FunctionDescriptor.of(cInt, pointer, size, pointer, cInt));
        decoderNew = function(linker, lookup, "WebPAnimDecoderNewInternal",
                FunctionDescriptor.of(pointer, pointer, pointer, cInt));
        decoderGetInfo = function(linker, lookup, "WebPAnimDecoderGetInfo",
                FunctionDescriptor.of(cInt, pointer, pointer));
        decoderGetNext = function(linker, lookup, "WebPAnimDecoderGetNext",
                FunctionDescriptor.of(cInt, pointer, pointer, pointer));
        decoderDelete = function(linker, lookup, "WebPAnimDecoderDelete",
                FunctionDescriptor.ofVoid(pointer));
        MethodHandle decoderVersion = function(linker, lookup, "WebPGetDecoderVersion",
                FunctionDescriptor.of(cInt));
        try {
            int v = (int) decoderVersion.invokeExact();
            this.version = (v >> 16 & 0xFF) + "." + (v >> 8 & 0xFF) + "." + (v & 0xFF);
        } catch (Throwable e) {
            throw new IllegalStateException("WebPGetDecoderVersion failed", e);
        }
        if (!version.startsWith("1.")) {
            throw new IllegalArgumentException(library + " is libwebp " + version
                    + ", not the 1.x whose ABI this class calls");
        }
    }

    private static List<String> usualNames() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.contains("win")) {
            return List.of("libwebpdemux.dll", "webpdemux.dll");
        }
        if (os.contains("mac")) {
            return List.of("libwebpdemux.2.dylib", "libwebpdemux.dylib",
                    "/opt/homebrew/opt/webp/lib/libwebpdemux.2.dylib",
                    "/usr/local/opt/webp/lib/libwebpdemux.2.dylib");
        }
        return List.of("libwebpdemux.so.2");
    }

    private static MethodHandle function(Linker linker, SymbolLookup lookup, String name,
            FunctionDescriptor descriptor) {
        MemorySegment symbol = lookup.find(name).orElseThrow(() -> new NoSuchElementException(
                "the library has no " + name + " (libwebp 1.x) function"));
        return linker.downcallHandle(symbol, descriptor);
    }

    /** {@inheritDoc} */
    @Override
    public String describe() {
        return library + " (libwebp " + version + ") through the FFM API";
    }

    /** {@inheritDoc} */
    @Override
    public Image open(byte[] webp) throws Failure {
        Arena arena = Arena.ofConfined();
        try {
            MemorySegment source = arena.allocate(Math.max(1, webp.length));
            MemorySegment.copy(webp, 0, source, ValueLayout.JAVA_BYTE, 0, webp.length);
            // WebPBitstreamFeatures: width, height, has_alpha, has_animation, format, pad[5]
            MemorySegment features = arena.allocate(ValueLayout.JAVA_INT, 10);
            int status = sizeBytes == 8
                    ? (int) getFeatures.invokeExact(source, (long) webp.length, features,
                            DECODER_ABI_VERSION)
                    : (int) getFeatures.invokeExact(source, webp.length, features,
                            DECODER_ABI_VERSION);
            if (status != VP8_STATUS_OK) {
                throw new Failure("WebPGetFeatures: " + status(status));
            }
            int width = features.getAtIndex(ValueLayout.JAVA_INT, 0);
            int height = features.getAtIndex(ValueLayout.JAVA_INT, 1);
            boolean animated = features.getAtIndex(ValueLayout.JAVA_INT, 3) != 0;
            if (width < 1 || height < 1) {
                throw new Failure("WebPGetFeatures: a " + width + "x" + height + " canvas");
            }
            return new WebpImage(arena, source, webp.length, width, height, animated);
        } catch (Failure | RuntimeException | Error e) {
            arena.close();
            throw e;
        } catch (Throwable e) {
            arena.close();
            throw new IllegalStateException("libwebp call failed", e);
        }
    }

    private static String status(int status) {
        return status >= 0 && status < STATUS.length ? STATUS[status] : "status " + status;
    }

    /** Arena clean-up: the animation decoder and the canvas it holds. */
    private void deleteDecoder(MemorySegment decoder) {
        try {
            decoderDelete.invokeExact(decoder);
        } catch (Throwable e) {
            throw new IllegalStateException("WebPAnimDecoderDelete failed", e);
        }
    }

    /** One image: its bytes and, once decoded, its decoder and canvas, all in one arena. */
    private final class WebpImage implements Image {
        private final Arena arena;
        private final MemorySegment source;
        private final long sourceLength;
        private final int width;
        private final int height;
        private final boolean animated;
        private MemorySegment canvas;

        WebpImage(Arena arena, MemorySegment source, long sourceLength, int width, int height,
                boolean animated) {
            this.arena = arena;
            this.source = source;
            this.sourceLength = sourceLength;
            this.width = width;
            this.height = height;
            this.animated = animated;
        }

        @Override
        public int width() {
            return width;
        }

        @Override
        public int height() {
            return height;
        }

        @Override
        public boolean animated() {
            return animated;
        }

        @Override
        public void decode() throws Failure {
            long size = (long) width * height * 4;
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Invalid decode: a " + width + "x" + height
                        + " canvas needs " + size + " bytes, more than one buffer holds");
            }
            try {
                // WebPData: bytes, size; no options, as PIL passes none (RGBA, no threads)
                long sizeAt = ValueLayout.ADDRESS.byteSize();
                MemorySegment data = arena.allocate(sizeAt + sizeBytes, sizeAt);
                data.set(ValueLayout.ADDRESS, 0, source);
                if (sizeBytes == 8) {
                    data.set(ValueLayout.JAVA_LONG_UNALIGNED, sizeAt, sourceLength);
                } else {
                    data.set(ValueLayout.JAVA_INT_UNALIGNED, sizeAt, (int) sourceLength);
                }
                MemorySegment decoder = (MemorySegment) decoderNew.invokeExact(data,
                        MemorySegment.NULL, DEMUX_ABI_VERSION);
                if (decoder.address() == 0) {
                    throw new Failure("WebPAnimDecoderNew refused the data");
                }
                decoder = decoder.reinterpret(arena, LibWebp.this::deleteDecoder);
                // WebPAnimInfo: canvas width, height, loop count, bgcolor, frame count, pad[4]
                MemorySegment info = arena.allocate(ValueLayout.JAVA_INT, 9);
                if ((int) decoderGetInfo.invokeExact(decoder, info) == 0) {
                    throw new Failure("WebPAnimDecoderGetInfo failed");
                }
                int canvasWidth = info.getAtIndex(ValueLayout.JAVA_INT, 0);
                int canvasHeight = info.getAtIndex(ValueLayout.JAVA_INT, 1);
                if (canvasWidth != width || canvasHeight != height) {
                    throw new Failure("the animation decoder's canvas is " + canvasWidth + "x"
                            + canvasHeight + ", the header's " + width + "x" + height);
                }
                MemorySegment buffer = arena.allocate(ValueLayout.ADDRESS);
                MemorySegment timestamp = arena.allocate(ValueLayout.JAVA_INT);
                if ((int) decoderGetNext.invokeExact(decoder, buffer, timestamp) == 0) {
                    throw new Failure("WebPAnimDecoderGetNext could not decode the first frame");
                }
                MemorySegment pixels = buffer.get(ValueLayout.ADDRESS, 0);
                if (pixels.address() == 0) {
                    throw new Failure("WebPAnimDecoderGetNext gave no pixels");
                }
                // the decoder owns the canvas: it lives as long as the decoder, in this arena
                canvas = pixels.reinterpret(size, arena, null);
            } catch (Failure | RuntimeException | Error e) {
                canvas = null;
                throw e;
            } catch (Throwable e) {
                canvas = null;
                throw new IllegalStateException("libwebp call failed", e);
            }
        }

        @Override
        public void copyRows(int firstRow, int rows, byte[] dst, int offset) {
            if (canvas == null) {
                throw new IllegalStateException("copyRows before a successful decode");
            }
            long pitch = (long) width * 4;
            MemorySegment.copy(canvas, ValueLayout.JAVA_BYTE, firstRow * pitch, dst, offset,
                    Math.toIntExact(rows * pitch));
        }

        @Override
        public void close() {
            canvas = null;
            arena.close();
        }
    }
}
