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
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;

/**
 * libjpeg-turbo's TurboJPEG 2.x API ({@code tjInitDecompress}, {@code tjDecompressHeader3},
 * {@code tjDecompress2}, ...) through the Foreign Function and Memory API. This is the only
 * class of classifier-core compiled for Java 22 ({@code src/main/java22}); {@link
 * JpegDecoderChoice} loads it by reflection, and only on Java 22 or later.
 *
 * <p>Safety: every image gets its own TurboJPEG handle and its own confined {@link Arena}, which
 * frees the handle, the copy of the encoded bytes and the pixel buffer however the decode ends.
 * Sizes handed to the library are those of buffers allocated here for exactly that size, so a
 * hostile file can make the library fail but not write outside them. Immutable and thread-safe.
 */
@SuppressWarnings("restricted")
final class TurboJpeg implements NativeJpeg {
    /** Pixel formats (TJPF_*). */
    private static final int TJPF_RGB = 0;
    private static final int TJPF_GRAY = 6;
    private static final int TJPF_CMYK = 11;
    /** Stops a progressive JPEG after 500 scans: a few dozen is the most any encoder writes. */
    private static final int TJFLAG_LIMITSCANS = 32768;
    private static final int TJERR_WARNING = 0;
    /** libjpeg's JMSG_LENGTH_MAX: TurboJPEG's message buffers are this long. */
    private static final long MESSAGE_BYTES = 200;
    /** Linux's MADV_HUGEPAGE on x86-64 and AArch64, and the size of those pages. */
    private static final int MADV_HUGEPAGE = 14;
    private static final long HUGE_PAGE = 2L << 20;

    private final String library;
    private final MethodHandle initDecompress;
    private final MethodHandle decompressHeader3;
    private final MethodHandle decompress2;
    private final MethodHandle getErrorStr2;
    private final MethodHandle getErrorCode;
    private final MethodHandle destroy;
    private final MethodHandle alloc;
    private final MethodHandle free;
    /** libc's madvise on Linux, else null. */
    private final MethodHandle madvise;

    /**
     * Loads the library; called by reflection.
     *
     * @param location a library name or path, or null for the platform's usual names
     * @throws IllegalArgumentException if the library cannot be loaded (the message says why)
     * @throws java.util.NoSuchElementException if a function is missing
     * @throws IllegalCallerException if native access is disabled for this module
     */
    TurboJpeg(String location) {
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
        // TurboJPEG sizes are C longs: 64 bits on Linux and macOS, 32 on Windows
        MemoryLayout cLong = linker.canonicalLayouts().get("long");
        AddressLayout pointer = ValueLayout.ADDRESS;
        ValueLayout.OfInt cInt = ValueLayout.JAVA_INT;
        initDecompress = function(linker, lookup, "tjInitDecompress",
                FunctionDescriptor.of(pointer));
        decompressHeader3 = longSized(function(linker, lookup, "tjDecompressHeader3",
                FunctionDescriptor.of(cInt, pointer, pointer, cLong, pointer, pointer, pointer,
                        pointer)));
        decompress2 = longSized(function(linker, lookup, "tjDecompress2",
                FunctionDescriptor.of(cInt, pointer, pointer, cLong, pointer, cInt, cInt, cInt,
                        cInt, cInt)));
        getErrorStr2 = function(linker, lookup, "tjGetErrorStr2",
                FunctionDescriptor.of(pointer, pointer));
        getErrorCode = function(linker, lookup, "tjGetErrorCode",
                FunctionDescriptor.of(cInt, pointer));
        destroy = function(linker, lookup, "tjDestroy", FunctionDescriptor.of(cInt, pointer));
        alloc = function(linker, lookup, "tjAlloc", FunctionDescriptor.of(pointer, cInt));
        free = function(linker, lookup, "tjFree", FunctionDescriptor.ofVoid(pointer));
        String arch = System.getProperty("os.arch", "");
        madvise = System.getProperty("os.name", "").startsWith("Linux")
                && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))
                ? linker.defaultLookup().find("madvise").map(symbol -> linker.downcallHandle(
                        symbol, FunctionDescriptor.of(cInt, pointer, cLong, cInt))).orElse(null)
                : null;
    }

    private static List<String> usualNames() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.contains("win")) {
            return List.of("turbojpeg.dll");
        }
        if (os.contains("mac")) {
            return List.of("libturbojpeg.0.dylib", "libturbojpeg.dylib",
                    "/opt/homebrew/opt/jpeg-turbo/lib/libturbojpeg.0.dylib",
                    "/usr/local/opt/jpeg-turbo/lib/libturbojpeg.0.dylib");
        }
        return List.of("libturbojpeg.so.0");
    }

    private static MethodHandle function(Linker linker, SymbolLookup lookup, String name,
            FunctionDescriptor descriptor) {
        MemorySegment symbol = lookup.find(name).orElseThrow(() -> new NoSuchElementException(
                "the library has no " + name + " (TurboJPEG 2 API) function"));
        return linker.downcallHandle(symbol, descriptor);
    }

    /** Lets the size argument (index 2) be passed as a Java long whatever a C long is. */
    private static MethodHandle longSized(MethodHandle handle) {
        MethodType type = handle.type();
        return type.parameterType(2) == long.class ? handle
                : MethodHandles.explicitCastArguments(handle, type.changeParameterType(2,
                        long.class));
    }

    /** {@inheritDoc} */
    @Override
    public String describe() {
        return library + " (TurboJPEG 2 API) through the FFM API";
    }

    /** {@inheritDoc} */
    @Override
    public Image open(byte[] jpeg) throws Failure {
        Arena arena = Arena.ofConfined();
        try {
            MemorySegment handle = (MemorySegment) initDecompress.invokeExact();
            if (handle.address() == 0) {
                throw new Failure("tjInitDecompress failed: " + message(MemorySegment.NULL),
                        true);
            }
            handle = handle.reinterpret(arena, this::destroyHandle);
            MemorySegment source = arena.allocate(jpeg.length);
            MemorySegment.copy(jpeg, 0, source, ValueLayout.JAVA_BYTE, 0, jpeg.length);
            MemorySegment values = arena.allocate(ValueLayout.JAVA_INT, 4);
            int status = (int) decompressHeader3.invokeExact(handle, source, (long) jpeg.length,
                    values, values.asSlice(4), values.asSlice(8), values.asSlice(12));
            String warning = null;
            if (status != 0) {
                warning = warningOrThrow(handle, true);
            }
            int width = values.getAtIndex(ValueLayout.JAVA_INT, 0);
            int height = values.getAtIndex(ValueLayout.JAVA_INT, 1);
            int space = values.getAtIndex(ValueLayout.JAVA_INT, 3);
            if (width < 1 || height < 1) {
                // a tables-only stream: the header call succeeds and sets nothing
                throw new Failure("JPEG datastream contains no image", false);
            }
            if (space < 0 || space >= ColorSpace.values().length) {
                throw new Failure("unknown colour space " + space, true);
            }
            return new TurboImage(arena, handle, source, jpeg.length, width, height,
                    ColorSpace.values()[space], warning);
        } catch (Failure | RuntimeException | Error e) {
            arena.close();
            throw e;
        } catch (Throwable e) {
            arena.close();
            throw new IllegalStateException("TurboJPEG call failed", e);
        }
    }

    /**
     * After a call returned -1: the warning's text when the library only warned, else throws.
     * Header failures over a subsampling or colour space TurboJPEG has no name for are
     * "unsupported" (libjpeg itself, and so PIL, reads such files).
     */
    private String warningOrThrow(MemorySegment handle, boolean header) throws Throwable {
        int code = (int) getErrorCode.invokeExact(handle);
        String message = message(handle);
        if (code == TJERR_WARNING) {
            return message;
        }
        throw new Failure(message, header && message.contains("Could not determine"));
    }

    private String message(MemorySegment handle) throws Throwable {
        MemorySegment text = (MemorySegment) getErrorStr2.invokeExact(handle);
        if (text.address() == 0) {
            return "unknown TurboJPEG error";
        }
        // the buffers are MESSAGE_BYTES long and always terminated; bound the read anyway
        MemorySegment bounded = text.reinterpret(MESSAGE_BYTES);
        long end = 0;
        while (end < MESSAGE_BYTES && bounded.get(ValueLayout.JAVA_BYTE, end) != 0) {
            end++;
        }
        byte[] bytes = new byte[(int) end];
        MemorySegment.copy(bounded, ValueLayout.JAVA_BYTE, 0, bytes, 0, bytes.length);
        return new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).trim();
    }

    /**
     * Asks Linux to back a fresh pixel buffer with 2 MB pages where transparent huge pages are
     * enabled for those who ask ("madvise", the usual default). malloc maps a buffer this large
     * afresh for every image, and faulting in 36 MB of 4 KB pages cost 30 to 50 ms per 12 MP
     * photo here, as long as the decode itself. Advice only: where it is refused, nothing changes.
     */
    private void adviseHugePages(long address, long size) throws Throwable {
        long start = (address + HUGE_PAGE - 1) & -HUGE_PAGE;
        long end = (address + size) & -HUGE_PAGE;
        if (madvise != null && end - start >= 2 * HUGE_PAGE) {
            int ignored = (int) madvise.invokeExact(MemorySegment.ofAddress(start), end - start,
                    MADV_HUGEPAGE);
        }
    }

    /** Arena clean-up: the library's handle (never fails for a handle it made). */
    private void destroyHandle(MemorySegment handle) {
        try {
            int status = (int) destroy.invokeExact(handle);
            assert status == 0 : "tjDestroy returned " + status;
        } catch (Throwable e) {
            throw new IllegalStateException("tjDestroy failed", e);
        }
    }

    /** Arena clean-up: a pixel buffer from tjAlloc. */
    private void freeBuffer(MemorySegment buffer) {
        try {
            free.invokeExact(buffer);
        } catch (Throwable e) {
            throw new IllegalStateException("tjFree failed", e);
        }
    }

    /** One image: its handle, its bytes and, once decoded, its pixels, all in one arena. */
    private final class TurboImage implements Image {
        private final Arena arena;
        private final MemorySegment handle;
        private final MemorySegment source;
        private final long sourceLength;
        private final int width;
        private final int height;
        private final ColorSpace colorSpace;
        private final String headerWarning;
        private MemorySegment pixels;
        private int pitch;

        TurboImage(Arena arena, MemorySegment handle, MemorySegment source, long sourceLength,
                int width, int height, ColorSpace colorSpace, String headerWarning) {
            this.arena = arena;
            this.handle = handle;
            this.source = source;
            this.sourceLength = sourceLength;
            this.width = width;
            this.height = height;
            this.colorSpace = colorSpace;
            this.headerWarning = headerWarning;
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
        public ColorSpace colorSpace() {
            return colorSpace;
        }

        @Override
        public String headerWarning() {
            return headerWarning;
        }

        @Override
        public String decode(Layout layout) throws Failure {
            long rowBytes = (long) width * layout.bytes();
            long size = rowBytes * height;
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Invalid decode: " + width + "x" + height
                        + " " + layout + " needs " + size + " bytes, more than one buffer holds");
            }
            int format = switch (layout) {
                case RGB -> TJPF_RGB;
                case GRAY -> TJPF_GRAY;
                case CMYK -> TJPF_CMYK;
            };
            try {
                // tjAlloc is malloc: the decoder writes every byte, so no zeroing first
                MemorySegment buffer = (MemorySegment) alloc.invokeExact((int) size);
                if (buffer.address() == 0) {
                    throw new OutOfMemoryError("tjAlloc could not allocate " + size
                            + " bytes for a " + width + "x" + height + " JPEG");
                }
                pixels = buffer.reinterpret(size, arena, TurboJpeg.this::freeBuffer);
                adviseHugePages(buffer.address(), size);
                pitch = (int) rowBytes;
                int status = (int) decompress2.invokeExact(handle, source, sourceLength, pixels,
                        width, pitch, height, format, TJFLAG_LIMITSCANS);
                return status == 0 ? null : warningOrThrow(handle, false);
            } catch (Failure | RuntimeException | Error e) {
                pixels = null;
                throw e;
            } catch (Throwable e) {
                pixels = null;
                throw new IllegalStateException("TurboJPEG call failed", e);
            }
        }

        @Override
        public void copyRows(int firstRow, int rows, byte[] dst, int offset) {
            if (pixels == null) {
                throw new IllegalStateException("copyRows before a successful decode");
            }
            MemorySegment.copy(pixels, ValueLayout.JAVA_BYTE, (long) firstRow * pitch, dst,
                    offset, Math.multiplyExact(rows, pitch));
        }

        @Override
        public void close() {
            arena.close();
        }
    }
}
