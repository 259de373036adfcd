#include "ccodecs.h"
#include "internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

/* libjpeg's error manager extended with our jump target and status. */
typedef struct jpeg_failure {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    int32_t status;
} jpeg_failure;

static int32_t status_for(int code) {
    switch (code) {
    case JERR_EMPTY_IMAGE: return CCODECS_ZERO_SIZE;
    case JERR_OUT_OF_MEMORY: return CCODECS_OUT_OF_MEMORY;
    default: return CCODECS_CORRUPT;
    }
}

static void on_error(j_common_ptr cinfo) {
    jpeg_failure *failure = (jpeg_failure *)cinfo->err;
    failure->status = status_for(failure->manager.msg_code);
    longjmp(failure->jump, 1);
}

/* Warnings (level -1) are tolerated as Pillow tolerates them, except the end of
   the data: jpeg_mem_src would pad it with gray and report success. */
static void on_message(j_common_ptr cinfo, int level) {
    jpeg_failure *failure = (jpeg_failure *)cinfo->err;
    if (level == -1 && failure->manager.msg_code == JWRN_JPEG_EOF) {
        failure->status = CCODECS_TRUNCATED;
        longjmp(failure->jump, 1);
    }
}

/* Called before each step of input (a marker or an iMCU row), so a scan past the limit
   is refused before any of its rows is decoded. client_data is the caller's result. */
static void on_progress(j_common_ptr cinfo) {
    ccodecs_image *out = cinfo->client_data;
    int scan = ((j_decompress_ptr)cinfo)->input_scan_number;
    if (scan > 0 && (uint32_t)scan > out->scan_limit) {
        jpeg_failure *failure = (jpeg_failure *)cinfo->err;
        failure->status = CCODECS_TOO_MANY_SCANS;
        out->scans = (uint32_t)scan;
        longjmp(failure->jump, 1);
    }
}

/* The limits that need only the markers: declared size and scan count, checked before
   libjpeg reads the header (it refuses sides over 65500 itself, as corrupt data). */
static int32_t check_survey(const uint8_t *data, size_t size, uint64_t max_pixels, ccodecs_image *out) {
    ccodecs_jpeg_survey_result survey;
    ccodecs_jpeg_survey(data, size, &survey);
    out->scans = survey.scans;
    out->scan_limit = ccodecs_jpeg_scan_limit(survey.width, survey.height);
    if (!survey.has_frame) return CCODECS_OK; /* libjpeg says what is missing */
    out->source_width = survey.width;
    out->source_height = survey.height;
    if ((uint64_t)survey.width * survey.height > max_pixels) return CCODECS_TOO_LARGE;
    if (survey.width > CCODECS_JPEG_MAX_SIDE || survey.height > CCODECS_JPEG_MAX_SIDE) {
        return CCODECS_SIDE_TOO_LARGE;
    }
    if (survey.scans > out->scan_limit) return CCODECS_TOO_MANY_SCANS;
    return CCODECS_OK;
}

/* The orientation from the first EXIF APP1 marker, as Pillow's getexif() reads it. */
static int32_t orientation_of(j_decompress_ptr cinfo) {
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != NULL; m = m->next) {
        if (m->marker != JPEG_APP0 + 1) continue;
        int orientation = ccodecs_exif_orientation(m->data, m->data_length);
        if (orientation != 0) return orientation;
    }
    return 1;
}

static uint32_t divide_rounding_up(uint64_t a, uint64_t b) {
    return (uint32_t)((a + b - 1) / b);
}

/* Smallest n in {1, 2, 4} with ceil(width * n / 8) >= min_width and likewise for height;
   else 8 (full size), also when no minimum is given (0 x 0). Power-of-two reductions only,
   as Pillow's draft(): an image less than twice the size needed decodes at full size,
   pixel for pixel what a full decode gives, and the resize that follows does the rest. */
static unsigned scale_numerator(uint32_t width, uint32_t height,
                                uint32_t min_width, uint32_t min_height) {
    if (min_width == 0 && min_height == 0) return 8;
    for (unsigned n = 1; n < 8; n *= 2) {
        if (divide_rounding_up((uint64_t)width * n, 8) >= min_width &&
            divide_rounding_up((uint64_t)height * n, 8) >= min_height) return n;
    }
    return 8;
}

/* `n` halved while the output at n/8 has more than `budget_pixels` pixels (down to 1). */
static unsigned within_budget(unsigned n, uint32_t width, uint32_t height, uint64_t budget_pixels) {
    while (n > 1 && (uint64_t)divide_rounding_up((uint64_t)width * n, 8) *
                    divide_rounding_up((uint64_t)height * n, 8) > budget_pixels) n /= 2;
    return n;
}

/* Pillow reads CMYK JPEGs with Adobe (inverted) polarity and converts each pixel
   with nk = 255 - K: channel = nk - (C * nk) / 255, where x / 255 is Pillow's
   rounding MULDIV255, ((t >> 8) + t) >> 8 with t = C * nk + 128. libjpeg returns
   the stored, inverted values c' = 255 - C and k' = 255 - K, so nk = k'. */
static void cmyk_row_to_rgb(const JSAMPLE *cmyk, uint8_t *rgb, uint32_t width) {
    for (uint32_t x = 0; x < width; x++, cmyk += 4, rgb += 3) {
        int nk = cmyk[3];
        for (int c = 0; c < 3; c++) {
            int product = (255 - cmyk[c]) * nk + 128;
            rgb[c] = (uint8_t)(nk - (((product >> 8) + product) >> 8));
        }
    }
}

int32_t ccodecs_jpeg_decode(const uint8_t *data, size_t size,
                            uint32_t min_width, uint32_t min_height,
                            uint64_t max_pixels, uint64_t budget_pixels, ccodecs_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    int32_t surveyed = check_survey(data, size, max_pixels, out);
    if (surveyed != CCODECS_OK) return surveyed;
    struct jpeg_decompress_struct cinfo;
    jpeg_failure failure;
    struct jpeg_progress_mgr progress;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&failure.manager);
    cinfo.client_data = out;
    failure.manager.error_exit = on_error;
    failure.manager.emit_message = on_message;
    failure.status = CCODECS_CORRUPT;
    if (setjmp(failure.jump)) {
        if (out->message[0] == '\0') {
            char text[JMSG_LENGTH_MAX];
            failure.manager.format_message((j_common_ptr)&cinfo, text);
            ccodecs_set_message(out->message, text);
        }
        jpeg_destroy_decompress(&cinfo);
        free(out->pixels);
        out->pixels = NULL;
        return failure.status;
    }
    jpeg_create_decompress(&cinfo);
    progress.progress_monitor = on_progress;
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) ERREXIT(&cinfo, JERR_NO_IMAGE);

    uint32_t width = cinfo.image_width, height = cinfo.image_height;
    out->source_width = width;
    out->source_height = height;
    out->orientation = orientation_of(&cinfo);
    if ((uint64_t)width * height > max_pixels) {
        jpeg_destroy_decompress(&cinfo);
        return CCODECS_TOO_LARGE;
    }
    /* Orientations 5...8 swap the axes: the minimum applies to the other side. */
    int transposed = out->orientation >= 5;
    cinfo.scale_num = within_budget(scale_numerator(width, height, transposed ? min_height : min_width,
                                                    transposed ? min_width : min_height),
                                    width, height, budget_pixels);
    cinfo.scale_denom = 8;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&cinfo);

    uint32_t out_width = cinfo.output_width, out_height = cinfo.output_height;
    size_t stride = (size_t)out_width * 3;
    out->pixels = malloc(stride * out_height);
    if (out->pixels == NULL) ERREXIT1(&cinfo, JERR_OUT_OF_MEMORY, 0);
    out->width = out_width;
    out->height = out_height;
    if (cmyk) {
        JSAMPARRAY row = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
                                                    out_width * 4, 1);
        while (cinfo.output_scanline < out_height) {
            uint8_t *destination = out->pixels + cinfo.output_scanline * stride;
            jpeg_read_scanlines(&cinfo, row, 1);
            cmyk_row_to_rgb(row[0], destination, out_width);
        }
    } else {
        enum { batch = 16 };
        JSAMPROW rows[batch];
        while (cinfo.output_scanline < out_height) {
            JDIMENSION first = cinfo.output_scanline;
            JDIMENSION count = out_height - first < batch ? out_height - first : batch;
            for (JDIMENSION i = 0; i < count; i++) rows[i] = out->pixels + (first + i) * stride;
            jpeg_read_scanlines(&cinfo, rows, count);
        }
    }
    /* Not jpeg_finish_decompress: all pixels are in, and a missing EOI after
       them is no reason to fail. */
    jpeg_destroy_decompress(&cinfo);
    return CCODECS_OK;
}
