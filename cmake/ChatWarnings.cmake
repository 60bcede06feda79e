# chat_warnings(target): the project's warning set, on our own code only.
# Not -Wnull-dereference: at -O2 it flags inlined Asio internals, not our code.
function(chat_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wimplicit-fallthrough
    $<$<BOOL:${CHAT_WARNINGS_AS_ERRORS}>:-Werror>)
endfunction()
