package dev.kodiak.core.decode;

import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;

/**
 * Direct access to a raster of interleaved bytes, the layout ImageIO's readers usually hand
 * over, so that pixels are read without a call per sample.
 *
 * @param data the raster's bytes
 * @param base the index of the first sample of the raster's first pixel
 * @param scanline bytes from one row to the next
 * @param pixelStride bytes from one pixel to the next
 * @param offsets each band's offset within a pixel
 */
record Interleaved(byte[] data, int base, int scanline, int pixelStride, int[] offsets) {
    /**
     * Views a raster.
     *
     * @param raster a decoded raster
     * @return the view, or null for a raster of another layout
     */
    static Interleaved of(Raster raster) {
        if (!(raster.getDataBuffer() instanceof DataBufferByte buffer)
                || !(raster.getSampleModel() instanceof PixelInterleavedSampleModel model)
                || buffer.getNumBanks() != 1) {
            return null;
        }
        // (ComponentSampleModel.getOffset would add the first band's offset too)
        int base = buffer.getOffset()
                + (raster.getMinY() - raster.getSampleModelTranslateY())
                * model.getScanlineStride()
                + (raster.getMinX() - raster.getSampleModelTranslateX())
                * model.getPixelStride();
        return new Interleaved(buffer.getData(), base, model.getScanlineStride(),
                model.getPixelStride(), model.getBandOffsets());
    }

    /**
     * The index of a pixel's first byte.
     *
     * @param x the column
     * @param y the row
     * @return the index in {@link #data()}; add a band's offset
     */
    int index(int x, int y) {
        return base + y * scanline + x * pixelStride;
    }

    /**
     * Whether the bytes are exactly width x height pixels in band order, nothing else.
     *
     * @param width the raster's width
     * @param height the raster's height
     * @return true when {@link #data()} can be used as the pixels themselves
     */
    boolean isPacked(int width, int height) {
        for (int b = 0; b < offsets.length; b++) {
            if (offsets[b] != b) {
                return false;
            }
        }
        return base == 0 && pixelStride == offsets.length
                && scanline == width * pixelStride
                && data.length == (long) width * height * pixelStride;
    }
}
