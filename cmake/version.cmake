# Writes OUTPUT (generated/version.cpp) from INPUT (src/util/version.cpp.in) with what git says
# about SOURCE_DIR: run at every build (a target of its own), so that the commit is always the
# one built; the file is only rewritten when it changes, so that a build with nothing new
# recompiles nothing. Without git (a tarball, a container build without .git), the version is
# PROJECT_VERSION and the commit S3UP_GIT_COMMIT if given (cmake -DS3UP_GIT_COMMIT=...), else
# "unknown".
#   cmake -DSOURCE_DIR=... -DINPUT=... -DOUTPUT=... -DPROJECT_VERSION=... [-DS3UP_GIT_COMMIT=...]
#         -P cmake/version.cmake
# Also include()d at configure time by packaging/cpack.cmake, for the package's version
# (s3up_git_version()).

function(s3up_git_version source_dir project_version)
  set(version "${project_version}")
  set(commit "")
  set(date "")
  set(dirty "")
  find_package(Git QUIET)
  if(GIT_FOUND)
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${source_dir}" rev-parse HEAD
                    OUTPUT_VARIABLE commit RESULT_VARIABLE rc ERROR_QUIET
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0)
      set(commit "")
    endif()
  endif()
  if(commit)
    # A release tag vMAJOR.MINOR.PATCH names the version: "0.2.0" on the tag, "0.2.0-3-gabc1234"
    # three commits later. Without a tag, the project's version.
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${source_dir}" describe --tags
                            --match "v[0-9]*" HEAD
                    OUTPUT_VARIABLE described RESULT_VARIABLE rc ERROR_QUIET
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(rc EQUAL 0 AND described MATCHES "^v([0-9].*)$")
      set(version "${CMAKE_MATCH_1}")
    endif()
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${source_dir}" log -1 --format=%cs HEAD
                    OUTPUT_VARIABLE date ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${source_dir}" status --porcelain
                            --untracked-files=no
                    OUTPUT_VARIABLE changes RESULT_VARIABLE rc ERROR_QUIET)
    if(rc EQUAL 0 AND NOT changes STREQUAL "")
      set(dirty "1")
    endif()
  elseif(DEFINED S3UP_GIT_COMMIT AND NOT S3UP_GIT_COMMIT STREQUAL "")
    set(commit "${S3UP_GIT_COMMIT}")
  endif()
  set(S3UP_VERSION "${version}" PARENT_SCOPE)
  set(S3UP_COMMIT "${commit}" PARENT_SCOPE)
  set(S3UP_COMMIT_DATE "${date}" PARENT_SCOPE)
  set(S3UP_DIRTY "${dirty}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  s3up_git_version("${SOURCE_DIR}" "${PROJECT_VERSION}")
  if(S3UP_DIRTY)
    set(S3UP_DIRTY_BOOL true)
  else()
    set(S3UP_DIRTY_BOOL false)
  endif()
  configure_file("${INPUT}" "${OUTPUT}" @ONLY)
endif()
