# chat_warnings(target): the project's warning set, on our own code only.
function(chat_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
    $<$<BOOL:${CHAT_WARNINGS_AS_ERRORS}>:-Werror>)
endfunction()
