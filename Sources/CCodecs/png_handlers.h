#ifndef CCODECS_PNG_HANDLERS_H
#define CCODECS_PNG_HANDLERS_H
/* libpng's error and warning handlers, for reading and writing alike; not part of the
   public header. */

#include <png.h>

/* Give png_create_read_struct / png_create_write_struct the caller's
   CCODECS_MESSAGE_LENGTH message buffer as the error pointer: an error copies libpng's
   text there (truncated, NUL-terminated) and longjmps to the caller's setjmp, which
   reports its status; a warning is dropped. */
void ccodecs_png_on_error(png_structp png, png_const_charp text);
void ccodecs_png_on_warning(png_structp png, png_const_charp text);

#endif
