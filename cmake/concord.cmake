# Helpers shared by every component's CMakeLists.txt.

# concord_test(NAME target SOURCES a_test.cc ... LIBS ... [POSTGRES]): a GoogleTest binary
# registered with ctest. Tests that start real processes get the path of build/bin through the
# CONCORD_BIN_DIR environment variable. POSTGRES: the test also runs its cases on the suite's
# throwaway PostgreSQL server (the fixture `pg_server`, tests/pg/cluster.sh), found through
# CONCORD_TEST_PG_DIR. The fuzz build (CONCORD_FUZZ) builds no unit tests.
function(concord_test name)
  if(CONCORD_FUZZ)
    return()
  endif()
  cmake_parse_arguments(T "POSTGRES" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  # Label `e2e` for scenarios against real processes (tests/e2e), `unit` for the rest:
  # `ctest -L unit` (make test-unit) runs the unit tests alone.
  if(CMAKE_CURRENT_SOURCE_DIR MATCHES "/tests/e2e$")
    set(label e2e)
  else()
    set(label unit)
  endif()
  set(environment "CONCORD_BIN_DIR=${CMAKE_BINARY_DIR}/bin;CONCORD_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
  if(T_POSTGRES)
    list(APPEND environment "CONCORD_TEST_PG_DIR=${CMAKE_BINARY_DIR}/pg")
    set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED pg_server)
  endif()
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "${environment}"
    LABELS ${label}
    TIMEOUT 600)
endfunction()

# concord_e2e_on_postgres(test [EXCLUDE Suite.Case ...]): registers an end-to-end test binary a
# second time, as <test>_pg, with every service of every deployment it starts on PostgreSQL
# (CONCORD_TEST_BACKEND=postgres: libs/testing/postgres.h). EXCLUDE names the cases that are
# about SQLite files themselves.
function(concord_e2e_on_postgres name)
  if(CONCORD_FUZZ OR NOT CONCORD_E2E_ON_POSTGRES)
    return()
  endif()
  cmake_parse_arguments(P "" "" "EXCLUDE" ${ARGN})
  set(args "")
  if(P_EXCLUDE)
    list(JOIN P_EXCLUDE ":" excluded)
    set(args "--gtest_filter=-${excluded}")
  endif()
  add_test(NAME ${name}_pg COMMAND ${name} ${args})
  set_tests_properties(${name}_pg PROPERTIES
    ENVIRONMENT "CONCORD_BIN_DIR=${CMAKE_BINARY_DIR}/bin;CONCORD_SOURCE_DIR=${CMAKE_SOURCE_DIR};CONCORD_TEST_BACKEND=postgres;CONCORD_TEST_PG_DIR=${CMAKE_BINARY_DIR}/pg"
    FIXTURES_REQUIRED pg_server
    LABELS "e2e;postgres"
    TIMEOUT 600)
endfunction()

# The suite's throwaway PostgreSQL server: started before the first test that needs it and
# stopped after the last (ctest fixtures), whichever subset of the suite runs.
function(concord_postgres_fixture)
  if(CONCORD_FUZZ)
    return()
  endif()
  add_test(NAME pg_server_start
    COMMAND bash ${CMAKE_SOURCE_DIR}/tests/pg/cluster.sh start ${CMAKE_BINARY_DIR}/pg)
  add_test(NAME pg_server_stop
    COMMAND bash ${CMAKE_SOURCE_DIR}/tests/pg/cluster.sh stop ${CMAKE_BINARY_DIR}/pg)
  set_tests_properties(pg_server_start PROPERTIES FIXTURES_SETUP pg_server LABELS "unit;e2e")
  set_tests_properties(pg_server_stop PROPERTIES FIXTURES_CLEANUP pg_server LABELS "unit;e2e")
endfunction()

# concord_migrations(target namespace dir...): compiles every dir/V<NNN>__<name>.sql of the
# given directories, in version order, into the target as `<namespace>::Migrations()`
# (a db::MigrationList). A remote application passes the shared synced-record directory first
# (its V001) and its own directory (V002 on). Editing a .sql file re-runs CMake.
#
# A line `-- @include <path from the source root>` in a migration is replaced by that file's
# text: how a schema change shared by every application after V001 (libs/remoteapp/migrations/
# *.sql without a version) becomes one numbered migration in each application's own sequence,
# written once.
function(concord_migrations target ns)
  set(sql_files "")
  foreach(dir ${ARGN})
    file(GLOB found CONFIGURE_DEPENDS ${dir}/V*__*.sql)
    list(APPEND sql_files ${found})
  endforeach()
  # Sort by file name (the version), whatever directory each came from.
  set(keyed "")
  foreach(f ${sql_files})
    get_filename_component(n ${f} NAME)
    list(APPEND keyed "${n}|${f}")
  endforeach()
  list(SORT keyed)
  set(sql_files "")
  foreach(k ${keyed})
    string(REGEX REPLACE "^[^|]*\\|" "" f "${k}")
    list(APPEND sql_files ${f})
  endforeach()
  set(body "")
  foreach(f ${sql_files})
    get_filename_component(base ${f} NAME_WE)
    string(REGEX MATCH "^V([0-9]+)__(.*)$" _ ${base})
    math(EXPR version "${CMAKE_MATCH_1}")
    set(name ${CMAKE_MATCH_2})
    file(READ ${f} sql)
    string(REGEX MATCHALL "-- @include [^\n]+" includes "${sql}")
    foreach(line ${includes})
      string(REGEX REPLACE "^-- @include[ ]+" "" included "${line}")
      string(STRIP "${included}" included)
      set(included ${CMAKE_SOURCE_DIR}/${included})
      if(NOT EXISTS ${included})
        message(FATAL_ERROR "${f}: ${line}: no such file")
      endif()
      file(READ ${included} text)
      string(REPLACE "${line}" "${text}" sql "${sql}")
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${included})
    endforeach()
    string(APPEND body "    {${version}, \"${name}\", R\"concord_sql(${sql})concord_sql\"},\n")
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.cc)
  file(CONFIGURE OUTPUT ${out} CONTENT
"// Generated by concord_migrations() from ${ARGN}. Do not edit.
#include \"concord/db/migration.h\"
namespace ${ns} {
namespace {
constexpr concord::db::Migration kMigrationTable[] = {
${body}};
}  // namespace
concord::db::MigrationList Migrations() { return kMigrationTable; }
}  // namespace ${ns}
")
  target_sources(${target} PRIVATE ${out})
endfunction()

# concord_application(<service> SOURCES file... [LIBS lib...]): a remote application's library,
# concord_<service>, built the one way every application is (ARCHITECTURE.md, "Adding an
# application"): its public include/ directory and private src/, the shared mechanism
# (libs/remoteapp), and its migrations (the shared synced record as V001, then migrations/).
function(concord_application service)
  cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
  set(target concord_${service})
  add_library(${target} ${A_SOURCES})
  target_include_directories(${target} PUBLIC include PRIVATE src)
  target_link_libraries(${target}
    PUBLIC concord_base concord_db concord_remoteapp
    PRIVATE concord_http fmt::fmt ${A_LIBS})
  concord_migrations(${target} concord::${service}
    ${CONCORD_SYNCED_RECORD_MIGRATIONS} ${CMAKE_CURRENT_SOURCE_DIR}/migrations)
endfunction()
