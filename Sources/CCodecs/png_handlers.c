#include "png_handlers.h"
#include "internal.h"

void ccodecs_png_on_error(png_structp png, png_const_charp text) {
    ccodecs_set_message(png_get_error_ptr(png), text);
    png_longjmp(png, 1);
}

void ccodecs_png_on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}
