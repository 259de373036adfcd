#include "ccodecs.h"
#include "internal.h"
#include "png_handlers.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/* Where libpng's output goes, and why writing stopped. Reached by libpng through
   the io pointer. */
typedef struct png_writer {
    ccodecs_buffer *buffer;
    int32_t status;             /* reported when libpng longjmps; CCODECS_CORRUPT unless set */
} png_writer;

static void on_write(png_structp png, png_bytep bytes, size_t length) {
    png_writer *writer = png_get_io_ptr(png);
    ccodecs_buffer *buffer = writer->buffer;
    if (length > buffer->capacity - buffer->size) {
        size_t capacity = buffer->capacity * 2;
        if (capacity < buffer->size + length) capacity = buffer->size + length;
        uint8_t *data = realloc(buffer->data, capacity);
        if (data == NULL) {
            writer->status = CCODECS_OUT_OF_MEMORY;
            png_error(png, "out of memory");
        }
        buffer->data = data;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->size, bytes, length);
    buffer->size += length;
}

static void on_flush(png_structp png) {
    (void)png;
}

int32_t ccodecs_png_encode_rgb8(const uint8_t *pixels, uint32_t width, uint32_t height,
                                int32_t level, ccodecs_buffer *out) {
    memset(out, 0, sizeof *out);
    png_writer writer = { out, CCODECS_CORRUPT };
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, out->message, ccodecs_png_on_error,
                                              ccodecs_png_on_warning);
    if (png == NULL) return CCODECS_OUT_OF_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return CCODECS_OUT_OF_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(out->data);
        out->data = NULL;
        out->size = 0;
        out->capacity = 0;
        return writer.status;
    }
    png_set_write_fn(png, &writer, on_write, on_flush);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, level);
    png_write_info(png, info);
    size_t stride = (size_t)width * 3;
    for (uint32_t y = 0; y < height; y++) png_write_row(png, pixels + y * stride);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return CCODECS_OK;
}
