"""Threats to derive (issue 6) and the test for each: the index, plus the tests no other file has.

Every threat of the issue is listed below with the tests that cover it, as ``file::test``
(a parametrised case as ``file::test[id]``). Tests defined in this file are the ones that
were missing elsewhere. ``test_the_index_names_only_tests_that_exist`` collects every test
named here with pytest, and ``test_every_test_in_this_file_is_in_the_index`` keeps the
index complete, so the list cannot rot.

Bad input: one clear line naming the field (and file:line), exit 2, nothing written or overwritten
---------------------------------------------------------------------------------------------------

1. Invalid YAML or JSON syntax, with line and column
   - tests/test_source.py::test_yaml_syntax_error_has_line_and_column
   - tests/test_source.py::test_json_syntax_error_has_line_and_column
   - tests/test_source.py::test_guess_falls_back_to_yaml_when_json_does_not_parse
   - tests/test_source.py::test_control_character_in_yaml_text
   - tests/test_source.py::test_read_document_non_utf8
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[yaml_syntax]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[json_syntax]
   - tests/test_threats.py::test_a_bad_claims_file_is_refused[claims_syntax]

2. YAML tags, anchors and aliases (alias bombs refused before expansion), duplicate keys
   - tests/test_source.py::test_python_tag_is_refused_and_not_run
   - tests/test_source.py::test_every_tag_is_refused
   - tests/test_source.py::test_anchor_and_alias_are_refused
   - tests/test_source.py::test_billion_laughs_is_refused_at_the_first_anchor
   - tests/test_source.py::test_duplicate_keys_yaml
   - tests/test_source.py::test_duplicate_keys_json
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[python_tag]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[yaml_anchor]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[duplicate_key]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[json_duplicate_key]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[python_tag]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[alias_bomb]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[json_duplicate_key]
   - tests/test_threats.py::test_a_bad_claims_file_is_refused[claims_tag]
   - tests/test_threats.py::test_a_bad_claims_file_is_refused[claims_anchor]

3. A spec over the size cap, nested too deep, empty, or a list at the top level
   - tests/test_source.py::test_size_cap_is_checked_before_parsing
   - tests/test_source.py::test_read_document_size_cap
   - tests/test_source.py::test_depth_cap_yaml_and_json
   - tests/test_source.py::test_empty_spec
   - tests/test_source.py::test_top_level_must_be_a_mapping
   - tests/test_source.py::test_multiple_documents_are_refused
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[too_big]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[too_deep]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[empty]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[top_level_list]

4. Unknown or misspelt keys (with a suggestion), missing required keys
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[misspelt_key]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[misspelt_top_key]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[missing_key]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[misspelt_key]
   - tests/test_threats.py::test_a_bad_claims_file_is_refused[claims_unknown_name]

5. Wrong types, never coerced: units "3", true, 3.5, 0, -3; a weight "1e3"; activation: no
   - tests/test_source.py::test_plain_numbers_versus_quoted
   - tests/test_source.py::test_yaml_11_booleans
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[units_quoted]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[units_true]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[units_fraction]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[units_zero]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[units_negative]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[quoted_number]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[activation_no]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[json_weight_as_string]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[units_quoted]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[units_true]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[units_fraction]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[weight_as_string]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[activation_no]
   - tests/test_threats.py::test_a_bad_claims_file_is_refused[claims_number_as_string]
   - tests/test_threats.py::test_a_bad_claims_file_is_refused[claims_list]

6. NaN and infinity (YAML .nan/.inf, JSON NaN), numbers so large the forward pass overflows
   - tests/test_source.py::test_yaml_non_finite_numbers_are_refused
   - tests/test_source.py::test_json_non_finite_numbers_are_refused
   - tests/test_source.py::test_huge_exponent_is_refused_from_its_text
   - tests/test_source.py::test_from_python_refusals
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[nan]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[inf]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[json_nan]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[nan]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[inf]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[json_nan]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[too_large_a_number]
   - tests/test_threats.py::test_a_bad_claims_file_is_refused[claims_nan]
   - tests/test_threats.py::test_a_bad_claims_file_is_refused[claims_json_nan]
   - tests/test_threats.py::test_the_exact_path_stays_finite_at_the_largest_numbers_allowed
   - tests/test_threats.py::test_a_training_run_that_overflows_names_the_quantity_and_neuron
   - tests/test_threats.py::test_saturating_weights_train_without_nan

7. Weight shapes that do not fit (both shapes named), inputs/targets of the wrong length,
   an empty layers list, batch examples of different lengths
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[weight_shape]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[inputs_wrong_length]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[targets_wrong_length]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[empty_layers]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[batch_unequal_examples]
   - tests/test_spec_errors.py::test_dict_spec_error_names_the_field_without_a_file
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[weight_shape]

8. Unknown activation, loss or optimizer (the allowed ones listed); a loss that does not fit the
   output activation; targets outside [0, 1] for cross-entropy
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[unknown_activation]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[unknown_loss]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[unknown_optimizer]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[cross_entropy_on_linear]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[binary_cross_entropy_on_relu]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[cross_entropy_target_above_1]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[unknown_activation]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[cross_entropy_on_linear]

9. User names that clash, are reserved by SymPy (E, I, N, S, lambda, ...), are not identifiers,
   or hold control characters or newlines
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[name_clash]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[reserved_name_E]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[reserved_name_I]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[reserved_name_lambda]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[name_with_newline]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[title_with_newline]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[reserved_name]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[name_not_an_identifier]
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[name_with_control_character]
   - tests/test_threats.py::test_hostile_names_are_refused_in_every_name_field
   - tests/test_threats.py::test_a_bad_claims_file_is_refused[claims_control_characters]

10. A learning rate, step count, digit count or variant count out of range; a network too large
    for a document (a clear limit, with the --only or --style matrix way out named)
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[learning_rate_zero]
   - tests/test_spec_errors.py::test_bad_spec_gives_one_clear_line[learning_rate_negative]
   - tests/test_render_cli.py::test_bad_options_are_one_line_errors
   - tests/test_train.py::test_cli_errors_are_one_line
   - tests/test_worksheet.py::test_bad_options_fail_cleanly_and_write_nothing
   - tests/test_threats.py::test_a_bad_spec_is_refused_by_every_command[learning_rate_too_large]
   - tests/test_threats.py::test_an_option_out_of_range_is_one_line_and_writes_nothing
   - tests/test_threats.py::test_count_options_out_of_range_are_one_short_line
   - tests/test_threats.py::test_a_network_too_large_for_a_document_fails_first_naming_the_way_out
   - tests/test_threats.py::test_the_document_limits

11. Output path that is a directory, in a missing folder, unwritable, or an existing file without --force
   - tests/test_output.py::test_check_refuses_directory
   - tests/test_output.py::test_check_refuses_missing_folder
   - tests/test_output.py::test_check_refuses_existing_without_force
   - tests/test_output.py::test_check_refuses_unwritable_folder_reported
   - tests/test_output.py::test_check_refuses_non_regular_file_even_with_force
   - tests/test_output.py::test_write_does_not_clobber_file_created_after_check
   - tests/test_cli_core.py::test_output_file_written_refused_and_forced
   - tests/test_worksheet.py::test_existing_files_need_force
   - tests/test_threats.py::test_a_bad_output_path_is_refused_by_every_command
   - tests/test_threats.py::test_a_bad_worksheet_folder_is_refused

12. TeX failures (a template made to fail): previous PDF untouched, nothing partial left, the log's tail shown
   - tests/test_texrun.py::test_failure_reports_log_and_keeps_existing_dest
   - tests/test_texrun.py::test_failure_without_log_dir_keeps_log_in_temp_folder
   - tests/test_texrun.py::test_timeout_kills_whole_process_group
   - tests/test_texrun.py::test_compile_many_raises_first_failure_after_others_finish
   - tests/test_solve_pdf.py::test_pdf_is_not_overwritten_without_force_and_failure_keeps_the_old_file
   - tests/test_threats.py::test_a_tex_failure_in_train_keeps_the_old_pdf
   - tests/test_threats.py::test_a_tex_failure_in_a_worksheet_run_writes_nothing

Hostile text: shown literally or refused, never executed; nothing outside the build folder read
---------------------------------------------------------------------------------------------------

   - tests/test_render_latex.py::test_escape_functions
   - tests/test_render_latex.py::test_user_title_appears_literally_in_markdown_and_pdf
   - tests/test_worksheet.py::test_hostile_title_is_typeset_literally
   - tests/test_moodle.py::test_user_text_survives_as_text_and_cannot_add_blanks
   - tests/test_texrun.py::test_command_line_is_hardened
   - tests/test_texrun.py::test_environment
   - tests/test_texrun.py::test_input_etc_passwd_is_refused
   - tests/test_texrun.py::test_etc_passwd_never_reaches_the_pdf
   - tests/test_texrun.py::test_write18_and_absolute_openout_do_nothing
   - tests/test_texrun.py::test_latexmkrc_in_cwd_and_home_is_ignored
   - tests/test_threats.py::test_a_hostile_title_is_shown_literally_in_markdown_and_latex
   - tests/test_threats.py::test_a_hostile_title_is_typeset_literally_and_runs_nothing
   - tests/test_threats.py::test_the_tex_log_shows_no_file_outside_the_build_folder
   - tests/test_threats.py::test_unicode_pdflatex_cannot_set_never_fails_the_build
   - tests/test_threats.py::test_hostile_names_are_refused_in_every_name_field
   - tests/test_threats.py::test_a_bad_claims_file_is_refused[claims_control_characters]
   - tests/test_threats.py::test_rc_and_tex_files_in_the_working_and_home_folders_are_ignored
   - tests/test_html_browser.py::test_a_hostile_title_stays_text_in_every_page
   - tests/test_html_browser.py::test_the_detector_sees_a_network_request_and_a_console_error
   - tests/test_notebook.py::test_a_hostile_title_stays_text_in_the_displays
   - tests/test_html.py::test_escape_html
   - tests/test_html.py::test_a_hostile_title_is_text_in_every_html_page
   - tests/test_html.py::test_a_page_refers_to_nothing_outside_itself
   - tests/test_html.py::test_the_csp_allows_exactly_the_page_script

Numbers
-------

- Large logits give a finite cross-entropy and gradient, no NaN or inf in any document;
  a forward pass that overflows anyway is an error naming the neuron
   - tests/test_gradients.py::test_large_logits_give_finite_loss_and_gradient
   - tests/test_gradients.py::test_saturated_sigmoid_binary_cross_entropy_is_finite
   - tests/test_threats.py::test_large_logits_put_no_nan_or_inf_in_any_document
   - tests/test_threats.py::test_a_training_run_that_overflows_names_the_quantity_and_neuron
- Random networks (every activation, loss, bias mode, batch size, layout) against PyTorch and
  finite differences, gradients and one optimizer step, bounded and derandomized
   - tests/test_gradients.py::test_strategy_covers_every_feature
   - tests/test_gradients.py::test_gradients_match_pytorch
   - tests/test_gradients.py::test_gradients_match_central_differences
   - tests/test_gradients.py::test_gradients_match_diff_of_expanded_error
   - tests/test_gradients.py::test_compiled_gradient_equals_exact_values
   - tests/test_optim_random.py::test_one_optimizer_step_matches_torch_optim
   - tests/test_optim_random.py::test_one_optimizer_step_matches_finite_differences

Reproducible and safe to re-run
-------------------------------

- Same spec and options: byte-identical Markdown, LaTeX, JSON and PDF across runs and folders
   - tests/test_texrun.py::test_same_source_gives_identical_bytes
   - tests/test_render_latex.py::test_rendering_is_byte_identical_across_processes
   - tests/test_solve_pdf.py::test_same_spec_gives_byte_identical_pdfs_in_different_folders
   - tests/test_worksheet.py::test_same_seed_gives_byte_identical_files
   - tests/test_moodle.py::test_same_variants_same_bytes
   - tests/test_threats.py::test_outputs_are_byte_identical_across_processes_and_folders
- Every file written atomically; a run killed at any point leaves the old file or the new one
   - tests/test_output.py::test_write_uses_temp_file_in_same_folder
   - tests/test_output.py::test_write_replaces_not_truncates
   - tests/test_output.py::test_write_failure_removes_temp_file_and_keeps_old
   - tests/test_output.py::test_write_interrupt_removes_temp_file
   - tests/test_output.py::test_move_without_force_keeps_dest_and_source
   - tests/test_threats.py::test_a_killed_run_leaves_the_old_file_or_the_new_one

Templates from elsewhere, long jobs, signals and a broken pdflatex (issue 17)
----------------------------------------------------------------------------

- A --template-dir template reaching for Python or Jinja's helpers (known SSTI payloads: __class__,
  __globals__, __subclasses__, mro, cycler, joiner, namespace, lipsum, self, config, range, absolute
  imports and includes, mutation, huge powers): one line naming the template file and line, nothing run
  or written; the shipped templates render the same inside the sandbox
   - tests/test_sandbox.py::test_a_hostile_template_runs_nothing_and_writes_nothing
   - tests/test_sandbox.py::test_a_template_from_elsewhere_still_renders_what_derive_passes_in
   - tests/test_sandbox.py::test_the_shipped_templates_render_the_same_inside_the_sandbox
   - tests/test_sandbox.py::test_a_template_with_a_syntax_error_is_one_line
- Long jobs show progress (a bar on a terminal, one summary line otherwise, nothing from the API)
   - tests/test_progress.py::test_a_terminal_shows_a_bar_that_ends_complete
   - tests/test_progress.py::test_elsewhere_a_long_command_ends_with_one_summary_line
   - tests/test_progress.py::test_the_api_draws_nothing
- SIGINT, SIGTERM and SIGHUP stop worksheets (TeX running), training, the largest solve and a PDF build:
  exit 130/143/129, previous outputs untouched, no temp file or folder, no TeX process left
   - tests/test_interrupts.py::test_a_signal_stops_a_worksheet_run_with_tex_running
   - tests/test_interrupts.py::test_a_signal_stops_a_long_job_and_keeps_the_old_output
- pdflatex replaced by one that hangs, crashes or writes garbage: reported, group gone, nothing left
   - tests/test_interrupts.py::test_a_broken_pdflatex_is_reported_cleanly_and_leaves_nothing

Nothing lost, nothing written outside, every limit checked before the work (issue 18)
--------------------------------------------------------------------------------------

1. --force on /dev/stdout, a device or a system path; links replaced only when they name a regular file
   - tests/test_hardening.py::test_force_never_writes_a_device_or_system_path
   - tests/test_hardening.py::test_force_replaces_a_link_only_when_it_names_a_regular_file
   - tests/test_hardening.py::test_a_link_to_anything_but_a_regular_file_is_refused
   - tests/test_output.py::test_check_refuses_dangling_symlink_with_or_without_force
2. A worksheet folder appears all at once or not at all; no old run's extra files left beside the new set
   - tests/test_hardening.py::test_a_rerun_with_fewer_variants_leaves_no_file_of_the_old_run
   - tests/test_hardening.py::test_a_rerun_that_fails_while_putting_files_in_place_keeps_the_old_set
   - tests/test_hardening.py::test_a_signal_during_the_swap_waits_until_the_new_set_is_in_place
3. SIGTERM and SIGHUP handled as SIGINT (temp folders removed, TeX's process group killed)
   - tests/test_interrupts.py::test_a_signal_stops_a_worksheet_run_with_tex_running[SIGTERM]
   - tests/test_interrupts.py::test_a_signal_stops_a_worksheet_run_with_tex_running[SIGHUP]
4. A full temp folder: rendering without Jinja's cache, a disk error in one line
   - tests/test_hardening.py::test_a_full_temp_folder_renders_without_the_cache
   - tests/test_hardening.py::test_a_full_temp_folder_fails_a_pdf_in_one_line
5. Claims files cannot burn CPU; --after-steps works at its maximum
   - tests/test_hardening.py::test_a_claims_file_cannot_ask_for_millions_of_steps
   - tests/test_hardening.py::test_after_steps_at_its_maximum_is_checked_not_called_divergent
6. Every option checked before any work (-n, --workers, --tolerance exponent, empty --ask, non-ASCII digits)
   - tests/test_hardening.py::test_every_worksheet_option_is_checked_before_any_work
   - tests/test_hardening.py::test_non_ascii_digits_are_refused_by_train_and_check
7. TeX's time budget fits the size limits, is settable, and the whole log is kept
   - tests/test_hardening.py::test_the_tex_time_budget_grows_with_the_document_and_can_be_set
   - tests/test_hardening.py::test_a_failed_tex_run_keeps_the_whole_log
8. An output path equal to an input refused even with --force
   - tests/test_hardening.py::test_an_output_equal_to_an_input_is_refused_even_with_force
   - tests/test_hardening.py::test_a_spec_kept_as_a_worksheet_runs_file_is_not_lost
9. No internal error for a dangling symlink, a 300-character name, --out /proc, a template syntax error
   - tests/test_hardening.py::test_odd_paths_are_one_line_not_internal_errors
   - tests/test_hardening.py::test_a_template_with_a_syntax_error_is_one_line_in_every_command
10. Names that collide with engine quantities; messages across PYTHONHASHSEED; huge unknown keys;
    -o -; a local file named like an example; long titles in PDFs
   - tests/test_hardening.py::test_neuron_names_that_clash_with_engine_quantities_are_refused
   - tests/test_hardening.py::test_error_messages_are_the_same_whatever_the_hash_seed
   - tests/test_hardening.py::test_a_huge_unknown_key_is_not_echoed_whole
   - tests/test_hardening.py::test_dash_means_standard_output
   - tests/test_hardening.py::test_a_local_file_named_like_an_example_is_not_shadowed_silently
   - tests/test_hardening.py::test_a_long_title_wraps_inside_the_page

The index itself
----------------

   - tests/test_threats.py::test_the_index_names_only_tests_that_exist
   - tests/test_threats.py::test_every_test_in_this_file_is_in_the_index
"""

from __future__ import annotations

import ast
import json
import os
import pathlib
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

import derive
from derive.cli import main
from derive.engine.report import to_json
from derive.steps import MAX_DOCUMENT_PARAMETERS, MAX_FOCUSED_PARAMETERS, check_document_size

TESTS = pathlib.Path(__file__).resolve().parent
DATA = TESTS / "data"
OLD = b"an earlier result, which a failed run must not touch\n"

from test_spec_errors import BASE, edit  # the 2-2-2 spec as a file (its line numbers are listed there)


def run_cli(argv, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line(code: int, out: str, err: str, *fragments: str) -> None:
    """Exit 2, nothing on stdout, exactly one line on stderr holding every fragment, no traceback."""
    assert code == 2, (code, err)
    assert out == ""
    assert err.startswith("derive: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def listing(folder: pathlib.Path) -> dict:
    """Every file under ``folder`` with its bytes (hidden ones too)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def pdf_text(path_or_bytes) -> str:
    if isinstance(path_or_bytes, bytes):
        done = subprocess.run(["pdftotext", "-", "-"], input=path_or_bytes, capture_output=True, check=True)
        return done.stdout.decode()
    return subprocess.run(["pdftotext", str(path_or_bytes), "-"], capture_output=True, check=True, text=True).stdout


def layered(width: int, depth: int, inputs: int | None = None, activation: str = "sigmoid") -> dict:
    """A spec dict of ``depth`` layers of ``width`` neurons (numbers small and varied)."""
    rng = random.Random(width * 100 + depth)
    fan_in = inputs or width
    layers = []
    for _ in range(depth):
        layers.append({"units": width, "activation": activation, "bias": 0.1,
                       "weights": [[round(rng.uniform(-1, 1), 2) for _ in range(fan_in)] for _ in range(width)]})
        fan_in = width
    return {"inputs": [0.1] * (inputs or width), "targets": [0.5] * width, "layers": layers}


# ================================================================ 1-9: bad specs through every command

def case(name, text, line, field, *fragments, suffix=".yaml"):
    return pytest.param(text, suffix, line, field, fragments, id=name)


BILLION_LAUGHS = 'a: &a ["lol","lol"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: &d [*c,*c]\n'

SPEC_CASES = [
    case("yaml_syntax", edit(("inputs: [0.05, 0.10]", "inputs: [0.05, 0.10")), 2, "", "invalid YAML"),
    case("json_syntax", '{"inputs": [1, 2],\n "targets": [1],,\n "layers": []}\n', 2, "", "invalid JSON",
         suffix=".json"),
    case("python_tag", edit(("loss: half_sse", "loss: !!python/object/apply:os.system ['touch {marker}']")),
         12, "loss", "tags are not allowed"),
    case("alias_bomb", BILLION_LAUGHS + BASE, 1, "a", "anchors and aliases are not allowed", "&a"),
    case("json_duplicate_key", '{"inputs": [1],\n "inputs": [2],\n "targets": [1], "layers": []}\n', 2, "",
         "'inputs' twice", suffix=".json"),
    case("too_big", "# " + "x" * 1_000_001 + "\n" + BASE, None, "", "the limit is 1000000 bytes"),
    case("too_deep", "title: " + "[" * 30 + "]" * 30 + "\n" + BASE, 1, "", "at most 20 levels"),
    case("empty", "# nothing but a comment\n", None, "", "the spec is empty"),
    case("top_level_list", "- 1\n- 2\n", 1, "<top level>", "must be a mapping", "got a list"),
    case("misspelt_key", edit(("activation: sigmoid", "activaton: sigmoid")), 5, "layers[0].activaton",
         "not a known key", "did you mean 'activation'"),
    case("units_quoted", edit(("units: 2", 'units: "3"')), 4, "layers[0].units", "whole number", "text '3'"),
    case("units_true", edit(("units: 2", "units: true")), 4, "layers[0].units", "whole number", "boolean (true)"),
    case("units_fraction", edit(("units: 2", "units: 3.5")), 4, "layers[0].units", "whole number", "got 3.5"),
    case("weight_as_string", edit(("[0.25, 0.30]", '[0.25, "1e3"]')), 6, "layers[0].weights[1][1]",
         "must be a number", "text '1e3'"),
    case("activation_no", edit(("activation: sigmoid", "activation: no")), 5, "layers[0].activation",
         "must be one of sigmoid", "boolean (false)"),
    case("nan", edit(("inputs: [0.05, 0.10]", "inputs: [.nan, 0.10]")), 1, "inputs[0]", "finite", ".nan"),
    case("inf", edit(("bias: 0.60", "bias: -.inf")), 11, "layers[1].bias", "finite", "-.inf"),
    case("json_nan", '{"inputs": [1],\n "targets": [Infinity],\n "layers": []}\n', 2, "targets[0]", "finite",
         suffix=".json"),
    case("too_large_a_number", edit(("bias: 0.35", "bias: 1e7")), 7, "layers[0].bias", "at most 1000000"),
    case("weight_shape", edit(("weights: [[0.15, 0.20], [0.25, 0.30]]", "weights: [[0.15, 0.20, 0.1]]")),
         6, "layers[0].weights", "shape 2x2", "got 1x3"),
    case("unknown_activation", edit(("activation: sigmoid", "activation: softmx")), 5, "layers[0].activation",
         "sigmoid, tanh, relu, leaky_relu, linear, softmax", "did you mean 'softmax'"),
    case("cross_entropy_on_linear", edit(("    activation: sigmoid\n    weights: [[0.40",
                                          "    activation: linear\n    weights: [[0.40"),
                                         ("loss: half_sse", "loss: cross_entropy")),
         12, "loss", "linear output layer", "probabilities"),
    case("reserved_name", edit(("learning_rate: 0.5", "learning_rate: 0.5\ninput_names: [x1, S]")),
         14, "input_names[1]", "reserve", "got 'S'"),
    case("name_not_an_identifier", edit(("    bias: 0.35\n", "    bias: 0.35\n    neuron_names: [h-1, h2]\n")),
         8, "layers[0].neuron_names[0]", "letters, digits and '_'", "'h-1'"),
    case("name_with_control_character", edit(("learning_rate: 0.5", 'learning_rate: 0.5\ninput_names: ["x\\e1", x2]')),
         14, "input_names[0]", "control characters", r"'\x1b'"),
    case("learning_rate_too_large", edit(("learning_rate: 0.5", "learning_rate: 101")), 13, "learning_rate",
         "<= 100", "got 101"),
]

COMMANDS = {
    "solve": lambda spec, out, claims: ["solve", spec, "--format", "json", "-o", out / "result.json", "--force"],
    "train": lambda spec, out, claims: ["train", spec, "--steps", "2", "-o", out / "result.txt", "--force"],
    "check": lambda spec, out, claims: ["check", spec, claims, "-o", out / "result.txt", "--force"],
    "worksheet": lambda spec, out, claims: ["worksheet", spec, "--seed", "1", "--out", out, "-f", "moodle",
                                            "--force", "--quiet"],
    "grade": lambda spec, out, claims: ["grade", spec, DATA / "class" / "variants.json", "--roster",
                                        DATA / "class" / "roster.csv", "-o", out, "--no-pdf", "--force", "--quiet"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("text,suffix,line,field,fragments", SPEC_CASES)
def test_a_bad_spec_is_refused_by_every_command(tmp_path, capsys, command, text, suffix, line, field, fragments):
    marker = tmp_path.parent / f"pwned-{uuid.uuid4().hex}"
    spec = tmp_path / f"net{suffix}"
    spec.write_text(text.replace("{marker}", str(marker)), encoding="utf-8")
    claims = tmp_path / "claims.yaml"
    claims.write_text("out_o1: 0.75\n")
    out = tmp_path / "out"
    out.mkdir()
    for name in ("result.json", "result.txt", "variants.json", "quiz.xml"):
        (out / name).write_bytes(OLD)
    before = listing(tmp_path)

    code, stdout, stderr = run_cli(COMMANDS[command](spec, out, claims), capsys)
    where = f"derive: error: {spec}:{line}" if line else f"derive: error: {spec}: "
    assert_one_line(code, stdout, stderr, where, *fragments)
    if field:
        assert re.match(re.escape(where) + r"(:\d+)?: " + re.escape(field + " "), stderr), stderr
    assert listing(tmp_path) == before  # nothing written, nothing overwritten, no temp file left
    assert not marker.exists()


CLAIMS_CASES = [
    pytest.param("out_o1: [0.75\n", ".yaml", 2, "invalid YAML", id="claims_syntax"),
    pytest.param("out_o1: !!python/object/apply:os.system ['touch {marker}']\n", ".yaml", 1, "tags are not allowed",
                 id="claims_tag"),
    pytest.param("a: &x 0.75\nout_o1: *x\n", ".yaml", 1, "anchors and aliases are not allowed", id="claims_anchor"),
    pytest.param("out_o9: 0.75\n", ".yaml", 1, "out_o9 is not a quantity of this network; did you mean",
                 id="claims_unknown_name"),
    pytest.param('out_o1: "0.75"\n', ".yaml", 1, "out_o1 must be a number; got text '0.75'",
                 id="claims_number_as_string"),
    pytest.param("out_o1: [0.75]\n", ".yaml", 1, "out_o1 must be a number", id="claims_list"),
    pytest.param("out_o1: .nan\n", ".yaml", 1, "out_o1 must be a finite number", id="claims_nan"),
    pytest.param('{"E_total": NaN}\n', ".json", 1, "E_total must be a finite number", id="claims_json_nan"),
    pytest.param('"out\\e[2J\\x07": 0.75\n', ".yaml", 1, r"'out\x1b[2J\x07' is not a quantity",
                 id="claims_control_characters"),
]


@pytest.mark.parametrize("text,suffix,line,fragment", CLAIMS_CASES)
def test_a_bad_claims_file_is_refused(tmp_path, capsys, text, suffix, line, fragment):
    marker = tmp_path.parent / f"pwned-{uuid.uuid4().hex}"
    claims = tmp_path / f"claims{suffix}"
    claims.write_text(text.replace("{marker}", str(marker)), encoding="utf-8")
    out = tmp_path / "report.txt"
    code, stdout, stderr = run_cli(["check", "2-2-2", claims, "-o", out], capsys)
    assert_one_line(code, stdout, stderr, f"derive: error: {claims}:{line}", fragment)
    assert "\x1b" not in stderr and "\x07" not in stderr  # no terminal escape reaches the terminal
    assert not out.exists() and not marker.exists()


HOSTILE = [r"\input{/etc/passwd}", r"\immediate\write18{touch X}", "^^5cinput", r"\catcode`\^=7",
           r"\def\x{\x}\x", "{{7*7}}", "((( 1 )))", "<script>alert(1)</script>", "[x](javascript:alert(1))",
           "σ", "中文", "😀", "x\u202e1", "E"]
NAME_FIELDS = {
    "input_names": lambda spec, name: spec.update(input_names=[name, "x2"]),
    "target_names": lambda spec, name: spec.update(target_names=[name, "t2"]),
    "layers[0].neuron_names": lambda spec, name: spec["layers"][0].update(neuron_names=[name, "h2"]),
    "layers[1].weight_names": lambda spec, name: spec["layers"][1].update(
        weight_names=[[name, "v2"], ["v3", "v4"]]),
    "layers[1].bias_names": lambda spec, name: spec["layers"][1].update(bias_names=[name]),
}


def test_hostile_names_are_refused_in_every_name_field(tmp_path, capsys):
    for field, put in NAME_FIELDS.items():
        for name in HOSTILE:
            spec = yaml_spec_dict()
            put(spec, name)
            path = tmp_path / "net.json"
            path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
            code, out, err = run_cli(["solve", path, "-f", "md"], capsys)
            assert_one_line(code, out, err, f"{path}:1: {field}")
            assert any(why in err for why in ("must be a name", "must not be a name", "at most 24 characters")), err
            assert "\u202e" not in err  # shown escaped, not acted on by the terminal


def yaml_spec_dict() -> dict:
    """The 2-2-2 network as a plain dict (numbers as text JSON keeps exactly)."""
    return {"inputs": [0.05, 0.1], "targets": [0.01, 0.99],
            "layers": [{"units": 2, "activation": "sigmoid", "weights": [[0.15, 0.2], [0.25, 0.3]], "bias": 0.35},
                       {"units": 2, "activation": "sigmoid", "weights": [[0.4, 0.45], [0.5, 0.55]], "bias": 0.6}]}


# ================================================================ 6: overflow

def test_the_exact_path_stays_finite_at_the_largest_numbers_allowed(capsys):
    """Every given is at most 1e6 and a network at most 12 layers of 64: the exact values stay far below
    floating point's limit, so the JSON of a step is finite. The deepest linear chain at the limit:"""
    top = 10 ** 6
    spec = {"inputs": [top, -top], "targets": [-top, top], "learning_rate": 100,
            "layers": [{"units": 2, "activation": "linear", "weights": [[top, top], [top, -top]], "bias": top}
                       for _ in range(12)]}
    data = json.loads(to_json(derive.load(spec)))  # allow_nan=False: a NaN or inf would raise
    assert 1e150 < data["loss"] < 1e308
    assert all(abs(v) < 1e308 for v in data["gradients"].values())


def test_a_training_run_that_overflows_names_the_quantity_and_neuron(tmp_path, capsys):
    spec = tmp_path / "net.yaml"
    spec.write_text("inputs: [1, -1]\ntargets: [0, 1]\nlayers:\n"
                    "  - {units: 2, activation: linear, weights: [[100000, 300000], [-100000, 200000]], bias: 1000}\n"
                    "  - {units: 2, activation: linear, weights: [[1000000, -1000000], [-1000000, 1000000]]}\n")
    out = tmp_path / "run.json"
    code, stdout, stderr = run_cli(["train", spec, "--steps", "10", "-f", "json", "-o", out], capsys)
    assert_one_line(code, stdout, stderr, "training diverged after 3 steps: E_o1 = ", "(neuron o1)",
                    "beyond floating point's range", "smaller learning rate")
    assert not out.exists()
    assert "nan" not in stderr.lower() and "Numerical result" not in stderr


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_saturating_weights_train_without_nan(activation):
    spec = {"inputs": [1, -1], "targets": [0.2, 0.8],
            "layers": [{"units": 2, "activation": activation, "weights": [[1e5, 3e5], [-1e5, 2e5]], "bias": 1000},
                       {"units": 2, "activation": "sigmoid", "weights": [[1e6, -1e6], [-1e6, 1e6]]}]}
    data = derive.train(spec, 5).to_dict()
    text = json.dumps(data, allow_nan=False)  # raises on NaN or inf
    assert "NaN" not in text and len(data["loss_history"]) == 6


# ================================================================ 10: options and sizes out of range

OPTION_CASES = [
    (["train", "2-2-1", "--steps", "-1"], "--steps must be a whole number from 0 to 10000000"),
    (["train", "2-2-1", "--steps", "10000001"], "--steps must be a whole number from 0 to 10000000"),
    (["train", "2-2-1", "--steps", "many"], "--steps must be a whole number"),
    (["train", "2-2-1", "--steps", "3", "--every", "0"], "--every must be a whole number from 1 to 10000000"),
    (["train", "2-2-1", "--steps", "3", "--carry-rounding", "31"], "from 0 to 30"),
    (["check", "2-2-2", "{claims}", "--after-steps", "100001"], "--after-steps must be a whole number from 0 to 100000"),
    (["solve", "2-2-1", "-f", "md", "--decimals", "-1"], "--decimals must be a whole number from 0 to 30"),
    (["solve", "2-2-1", "-f", "md", "--decimals", "31"], "--decimals must be a whole number from 0 to 30"),
    (["solve", "2-2-1", "-f", "md", "--digits", "0"], "--digits must be a whole number from 1 to 30"),
    (["solve", "2-2-1", "-f", "md", "--carry-rounding", "31"], "--carry-rounding must be a whole number from 0"),
    (["worksheet", "2-2-2-exercise", "--seed", "1", "--variants", "0"], "--variants must be a whole number from 1 to 1000"),
    (["worksheet", "2-2-2-exercise", "--seed", "1", "--variants", "1001"], "--variants must be a whole number from 1 to 1000"),
    (["worksheet", "2-2-2-exercise", "--seed", "1", "--decimals", "16"], "--decimals must be a whole number from 0 to 15"),
    (["worksheet", "2-2-2-exercise", "--seed", "-1"], "--seed must be a whole number of at least 0"),
]


@pytest.mark.parametrize("argv,message", OPTION_CASES, ids=[" ".join(a[2:]) for a, _ in OPTION_CASES])
def test_an_option_out_of_range_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch, argv, message):
    claims = tmp_path / "claims.yaml"
    claims.write_text("out_o1: 0.75\n")
    out = tmp_path / ("out" if argv[0] == "worksheet" else "out.json")  # a folder, or a file of a known format
    argv = [str(claims) if a == "{claims}" else a for a in argv]
    argv += ["--out", out, "--quiet"] if argv[0] == "worksheet" else ["-o", out]
    refuse_symbolic_work(monkeypatch)  # refused up front, not after the work
    code, stdout, stderr = run_cli(argv, capsys)
    assert_one_line(code, stdout, stderr, message)
    assert not out.exists()


def refuse_symbolic_work(monkeypatch) -> None:
    """Make the chain rule's entry point fail loudly: a refusal must come before any symbolic work."""
    from derive.engine import symbolic

    def build_model(*args, **kwargs):
        raise AssertionError("the symbolic work started before the refusal")

    monkeypatch.setattr(symbolic, "build_model", build_model)


def test_a_network_too_large_for_a_document_fails_first_naming_the_way_out(tmp_path, capsys, monkeypatch):
    spec = tmp_path / "16x5.json"  # 16 inputs, 5 layers of 16: 1,285 parameters
    spec.write_text(json.dumps(layered(16, 5)))
    out = tmp_path / "solution.pdf"
    for argv in (["solve", spec, "-o", out], ["solve", spec, "-f", "md", "--style", "delta"],
                 ["train", spec, "--steps", "1", "-f", "md"],
                 ["worksheet", spec, "--seed", "1", "--out", tmp_path / "sheets", "--quiet"]):
        with monkeypatch.context() as patch:
            refuse_symbolic_work(patch)  # before any symbolic work, let alone TeX
            code, stdout, stderr = run_cli(argv, capsys)
        assert_one_line(code, stdout, stderr, "all 1285 parameters is too long for a document",
                        f"at most {MAX_DOCUMENT_PARAMETERS}")
        if argv[0] == "solve":
            assert "--only" in stderr and "--style matrix" in stderr and "--format json" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["16x5.json"]

    huge = tmp_path / "wide.json"  # 64 inputs, 2 layers of 64: 8,194 parameters, over every limit
    huge.write_text(json.dumps(layered(64, 2)))
    for extra in (["--style", "matrix"], ["--only", "w1"]):
        code, stdout, stderr = run_cli(["solve", huge, "-f", "md", *extra], capsys)
        assert_one_line(code, stdout, stderr, "8194 parameters is too large for a worked solution",
                        f"at most {MAX_FOCUSED_PARAMETERS}", "--format json gives every number")
    code, stdout, _ = run_cli(["solve", spec, "--format", "json"], capsys)
    assert code == 0 and json.loads(stdout)["loss"] > 0  # the numbers themselves have no such limit


def test_the_document_limits():
    check_document_size(MAX_DOCUMENT_PARAMETERS)
    check_document_size(MAX_FOCUSED_PARAMETERS, style="matrix")
    check_document_size(MAX_FOCUSED_PARAMETERS, style="delta", only=("w1",))
    for style, only in (("scalar", None), ("delta", None)):
        with pytest.raises(derive.RenderError, match="style='matrix'") as info:  # the API's keyword
            check_document_size(MAX_DOCUMENT_PARAMETERS + 1, style=style, only=only)
        assert "Problem.to_dict() for every number" in str(info.value) and "--" not in str(info.value)
        assert "--style matrix" in info.value.cli_message() and "--format json" in info.value.cli_message()
    with pytest.raises(derive.RenderError, match="too large"):
        check_document_size(MAX_FOCUSED_PARAMETERS + 1, style="matrix")
    # the limit is a document's: a network between the two limits is solved in the matrix style
    text = derive.solve(layered(16, 4), style="matrix").markdown()
    assert len(derive.load(layered(16, 4)).network.parameters) > MAX_DOCUMENT_PARAMETERS and "E_" in text


# ================================================================ 11: output paths

def _unwritable(kind: str, name: str) -> pathlib.Path:
    # Root may write anywhere a permission bit forbids; /proc/self and /sys refuse even root.
    return pathlib.Path("/proc/self" if kind == "unwritable" else "/sys") / name


OUTPUT_COMMANDS = {
    "solve md": (["solve", "2-2-1", "-f", "md"], "x.md"),
    "solve tex": (["solve", "2-2-1", "-f", "tex"], "x.tex"),
    "solve json": (["solve", "2-2-1", "-f", "json"], "x.json"),
    "solve pdf": (["solve", "2-2-1", "-f", "pdf"], "x.pdf"),
    "train": (["train", "2-2-1", "--steps", "3"], "x.txt"),
    "train pdf": (["train", "2-2-1", "--steps", "3", "-f", "pdf"], "x.pdf"),
    "check": (["check", "2-2-2", "{claims}"], "x.txt"),
}
PATH_KINDS = {
    "directory": "is a directory, not a file",
    "missing_folder": "does not exist",
    "unwritable": "is a system path",  # /proc/self: refused as a system path before any permission check
    "unwritable_sysfs": "is a system path",
    "existing_file": "exists; pass --force to overwrite",
}


@pytest.mark.parametrize("kind", PATH_KINDS)
@pytest.mark.parametrize("command", OUTPUT_COMMANDS)
def test_a_bad_output_path_is_refused_by_every_command(tmp_path, capsys, command, kind):
    argv, name = OUTPUT_COMMANDS[command]
    if kind == "unwritable_sysfs" and name.endswith(".pdf"):
        pytest.skip("as root the TeX run would come first; the same write step is tested with md, json and txt")
    claims = tmp_path / "claims.yaml"
    claims.write_text("out_o1: 0.75136507\n")
    argv = [str(claims) if a == "{claims}" else a for a in argv]
    (tmp_path / "folder").mkdir()
    (tmp_path / name).write_bytes(OLD)
    target = {"directory": tmp_path / "folder", "missing_folder": tmp_path / "nowhere" / name,
              "existing_file": tmp_path / name}.get(kind) or _unwritable(kind, name)
    before = listing(tmp_path)
    code, stdout, stderr = run_cli([*argv, "-o", target], capsys)
    message = PATH_KINDS[kind]
    assert_one_line(code, stdout, stderr, f"derive: error: {target}: ", message)
    assert listing(tmp_path) == before
    assert not target.exists() or target.is_dir() or target.read_bytes() == OLD


def test_a_bad_worksheet_folder_is_refused(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_bytes(OLD)
    argv = ["worksheet", "2-2-2", "--seed", "1", "-f", "moodle", "--quiet", "--out"]
    code, out, err = run_cli([*argv, afile], capsys)
    assert_one_line(code, out, err, f"{afile}: is not a folder")
    code, out, err = run_cli([*argv, "/sys/derive-sheets"], capsys)
    assert_one_line(code, out, err, "/sys/derive-sheets: is a system path")
    assert run_cli([*argv, tmp_path / "sheets"], capsys)[0] == 0
    before = listing(tmp_path)
    code, out, err = run_cli([*argv, tmp_path / "sheets"], capsys)
    assert_one_line(code, out, err, "variants.json: exists; pass --force to overwrite")
    assert listing(tmp_path) == before and afile.read_bytes() == OLD


# ================================================================ 12: TeX failures

def broken_templates(folder: pathlib.Path, name: str) -> pathlib.Path:
    """A template folder whose ``name`` makes pdflatex stop with an error."""
    folder.mkdir()
    (folder / name).write_text("\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n"
                               if not name.startswith("worksheet") else "\\undefinedmacro\n")
    return folder


def assert_tex_failure_reported(err: str) -> None:
    assert err.startswith("derive: error: TeX failed") and "Traceback" not in err
    assert "Undefined control sequence" in err and "\\undefinedmacro" in err  # the log's tail
    log = re.search(r"full log: (\S+\.log)\)", err).group(1)
    assert "Undefined control sequence" in pathlib.Path(log).read_text()


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    """The system temp folder moved aside, so failed TeX runs' kept logs land in the test's own folder."""
    root = tmp_path / "temp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_a_tex_failure_in_train_keeps_the_old_pdf(tmp_path, capsys, temp_root):
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    templates = broken_templates(tmp_path / "templates", "training.tex.j2")
    pdf = tmp_path / "run.pdf"
    pdf.write_bytes(OLD)
    before = listing(tmp_path)
    code, out, err = run_cli(["train", "2-2-1", "--steps", "3", "-f", "pdf", "-o", pdf, "--force",
                              "--template-dir", templates], capsys)
    assert code == 2 and out == ""
    assert_tex_failure_reported(err)
    assert listing(tmp_path) == before  # the old PDF byte-identical, no temp file beside it


def test_a_tex_failure_in_a_worksheet_run_writes_nothing(tmp_path, capsys, temp_root):
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    templates = broken_templates(tmp_path / "templates", "worksheet.tex.j2")
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    for name in ("variant-01-worksheet.pdf", "worksheets.pdf", "variants.json"):
        (sheets / name).write_bytes(OLD)
    before = listing(tmp_path)
    code, out, err = run_cli(["worksheet", "2-2-2", "--seed", "1", "--out", sheets, "--force", "--quiet",
                              "--template-dir", templates], capsys)
    assert code == 2 and out == ""
    assert_tex_failure_reported(err)
    assert listing(tmp_path) == before  # not one new sheet, no staging folder left


# ================================================================ hostile text

TITLE = (r"\input{/etc/passwd} \immediate\write18{touch MARKER} ^^5cinput \catcode`\^=7 \def\x{\x}\x {{7*7}} "
         r"((( 1 ))) <script>x</script> [x](javascript:alert(1)) σ-Netz 中 😀")


def spec_with_title(tmp_path, title: str) -> pathlib.Path:
    spec = tmp_path / "net.json"
    spec.write_text(json.dumps({"title": title, **yaml_spec_dict()}, ensure_ascii=False), encoding="utf-8")
    return spec


@pytest.mark.parametrize("title", HOSTILE)
def test_a_hostile_title_is_shown_literally_in_markdown_and_latex(tmp_path, capsys, title):
    spec = spec_with_title(tmp_path, title)
    assert main(["solve", str(spec), "-f", "md"]) == 0
    md = capsys.readouterr().out
    heading = md.splitlines()[0]
    unescaped = re.sub(r"\\(.)", r"\1", heading[2:]).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped == title  # every character shown, as itself
    assert "<script" not in md and "[x](" not in md  # no HTML and no link, only text
    assert "49" not in heading
    assert main(["solve", str(spec), "-f", "tex"]) == 0
    tex = capsys.readouterr().out
    if "\\" in title or "^^" in title:
        assert title not in tex  # no TeX command from the title reaches TeX as a command
    assert "((( 1 )))" not in title or "((( 1 )))" in tex  # template syntax in a title stays text
    assert main(["train", str(spec), "--steps", "2", "-f", "md"]) == 0
    assert "<script" not in capsys.readouterr().out


def shows(text: str, wanted: str) -> bool:
    """``wanted`` appears in PDF text, line breaks (and a hyphen TeX may have put at one) aside."""
    squeeze = lambda t: re.sub(r"\s+", "", t)  # noqa: E731
    return squeeze(wanted) in squeeze(text) or squeeze(wanted) in squeeze(re.sub(r"-\n", "", text))


def test_a_hostile_title_is_typeset_literally_and_runs_nothing(tmp_path, capsys):
    marker = pathlib.Path(f"/tmp/derive-pwned-{uuid.uuid4().hex[:12]}")
    title = TITLE.replace("MARKER", str(marker))
    assert len(title) <= 200
    spec = spec_with_title(tmp_path, title)
    for argv in (["solve", spec, "-o", tmp_path / "s.pdf"],
                 ["train", spec, "--steps", "2", "-f", "pdf", "-o", tmp_path / "t.pdf"]):
        assert run_cli(argv, capsys)[0] == 0
        text = pdf_text(argv[-1])
        assert "root:x:" not in text and not marker.exists()
        assert shows(text, title.replace("中", "[U+4E2D]").replace("😀", "[U+1F600]")), text[:600]


def test_the_tex_log_shows_no_file_outside_the_build_folder(tmp_path, capsys, temp_root):
    """A run made to fail after the title keeps its log: the title's \\input opened no file."""
    templates = tmp_path / "templates"
    (templates / "tex").mkdir(parents=True)
    (templates / "tex" / "_summary.tex.j2").write_text("\\undefinedmacro\n")
    marker = pathlib.Path(f"/tmp/derive-pwned-{uuid.uuid4().hex[:12]}")
    spec = spec_with_title(tmp_path, TITLE.replace("MARKER", str(marker)))
    code, _, err = run_cli(["solve", spec, "-o", tmp_path / "s.pdf", "--template-dir", templates], capsys)
    assert code == 2 and "Undefined control sequence" in err
    log_path = pathlib.Path(re.search(r"full log: (\S+\.log)\)", err).group(1))
    log = log_path.read_text(errors="replace")
    assert "(./doc.tex" in log  # TeX names each file it opens like this: "(./doc.tex"
    assert "(/etc/passwd" not in log and "root:x:" not in log and not marker.exists()
    assert "runsystem" not in log and "write18 enabled" not in log  # no shell command was even attempted


def test_unicode_pdflatex_cannot_set_never_fails_the_build(tmp_path, capsys):
    title = "σ-Netz, Größe ∂E/∂w ≤ 1 – “Δ” € 中文 😀 x\u200by"
    spec = spec_with_title(tmp_path, title)
    assert run_cli(["solve", spec, "-o", tmp_path / "s.pdf"], capsys)[0] == 0
    text = pdf_text(tmp_path / "s.pdf").replace("∆", "Δ")  # pdftotext reads math Delta as U+2206
    assert shows(text, "σ-Netz, Größe ∂E/∂w ≤ 1 – “Δ” € [U+4E2D][U+6587] [U+1F600] x[U+200B]y"), text[:300]
    assert run_cli(["solve", spec, "-f", "md"], capsys)[1].startswith(f"# {title}\n")  # Markdown keeps them


def test_rc_and_tex_files_in_the_working_and_home_folders_are_ignored(tmp_path):
    marker = tmp_path / f"rc-ran-{uuid.uuid4().hex}"
    evil_rc = f'system("touch {marker}"); $pdflatex = "false"; $pdf_mode = 0;\n'
    work, home = tmp_path / "work", tmp_path / "home"
    (home / ".config" / "latexmk").mkdir(parents=True)
    work.mkdir()
    for rc in (work / "latexmkrc", work / ".latexmkrc", home / ".latexmkrc", home / ".config/latexmk/latexmkrc"):
        rc.write_text(evil_rc)
    # TeX files a document could pick up from the working folder instead of the installed ones
    for name in ("amsmath.sty", "article.cls", "doc.tex", "run.tex"):
        (work / name).write_text(f"\\immediate\\write18{{touch {marker}}}\\errmessage{{hostile {name} read}}\n")
    (work / "texmf.cnf").write_text("shell_escape = t\nopenin_any = a\n")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    done = subprocess.run([sys.executable, "-m", "derive", "solve", "2-2-1", "-o", "x.pdf"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (work / "x.pdf").read_bytes().startswith(b"%PDF-") and not marker.exists()


# ================================================================ numbers

def test_large_logits_put_no_nan_or_inf_in_any_document(tmp_path, capsys):
    spec = tmp_path / "logits.yaml"
    spec.write_text("inputs: [1, 1]\ntargets: [0, 1]\nloss: cross_entropy\nlayers:\n"
                    "  - {units: 2, activation: softmax, weights: [[1000, 0], [-1000, 0]]}\n")
    bad = re.compile(r"\bnan\b|\binf\b|infinity|\\infty|\bzoo\b|∞", re.IGNORECASE)
    documents = {}
    for argv in (["solve", spec, "-f", "md"], ["solve", spec, "-f", "tex"], ["solve", spec, "-f", "json"],
                 ["train", spec, "--steps", "3", "-f", "json"], ["train", spec, "--steps", "3", "-f", "md"]):
        code, out, err = run_cli(argv, capsys)
        assert code == 0, err
        documents[" ".join(map(str, argv[2:]))] = out
        assert not bad.search(out), (argv, bad.search(out))
    assert json.loads(documents["-f json"])["loss"] == 2000.0
    assert json.loads(documents["--steps 3 -f json"])["loss_history"] == [2000.0, 1998.0, 1996.0, 1994.0]


# ================================================================ reproducible and safe to re-run

RUNS = [
    ["solve", "2-2-2", "-o", "s.md"], ["solve", "2-2-2", "-o", "s.tex"], ["solve", "3-3-3-3", "-o", "s.json"],
    ["solve", "2-2-1", "-o", "s.pdf"], ["solve", "3-3-3-3", "--style", "matrix", "-o", "m.md"],
    ["train", "2-2-2", "--steps", "50", "-f", "json", "-o", "t.json"],
    ["train", "2-2-2", "--steps", "5", "-f", "md", "-o", "t.md"],
    ["check", "2-2-2", "claims.yaml", "-f", "json", "-o", "c.json"],
    ["worksheet", "2-2-2-exercise", "-n", "2", "--seed", "7", "-f", "moodle", "--out", "quiz", "--quiet"],
]


def test_outputs_are_byte_identical_across_processes_and_folders(tmp_path):
    script = f"import sys\nfrom derive.cli import main\nfor argv in {RUNS!r}:\n    assert main(argv) in (0, 1), argv\n"
    folders = []
    for seed, name in (("1", "first"), ("4242", "second/deeper")):
        folder = tmp_path / name
        folder.mkdir(parents=True)
        (folder / "claims.yaml").write_text("out_o1: 0.75136507\nE_total: 0.29837\n")
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", script], cwd=folder, env=env, capture_output=True, timeout=600)
        assert done.returncode == 0, done.stderr.decode()
        folders.append(listing(folder))
    assert len(folders[0]) == len(RUNS) + 2  # claims.yaml, and quiz/ holds two files
    assert folders[0] == folders[1]


def test_a_killed_run_leaves_the_old_file_or_the_new_one(tmp_path):
    """SIGKILL at random moments, and at the moment the temp file appears (mid-write)."""
    out = tmp_path / "run.json"
    argv = [sys.executable, "-m", "derive", "train", "2-2-2", "--steps", "300000", "-f", "json", "-o", str(out),
            "--force"]
    started = time.perf_counter()
    subprocess.run(argv, check=True, timeout=300)
    duration = time.perf_counter() - started
    new = out.read_bytes()
    assert len(new) > 5_000_000
    temp = re.compile(r"\.run\.json\..+\.tmp")
    rng = random.Random(6)
    caught_mid_write = False
    for moment in ["temp file", *(rng.uniform(0.3, duration) for _ in range(3))]:
        out.write_bytes(OLD)
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if moment == "temp file":
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline:
                if any(temp.fullmatch(p.name) for p in tmp_path.iterdir()):
                    caught_mid_write = True
                    break
                time.sleep(0.0005)
        else:
            time.sleep(moment)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert out.read_bytes() in (OLD, new)
        stray = [p for p in tmp_path.iterdir() if p != out]
        assert all(temp.fullmatch(p.name) for p in stray), stray  # only hidden .run.json.*.tmp files
        for p in stray:
            p.unlink()
    assert caught_mid_write


# ================================================================ the index

def _index_entries() -> list[str]:
    return re.findall(r"^\s+- (tests/\S+\.py::\S+)$", __doc__, re.M)


def test_the_index_names_only_tests_that_exist():
    entries = _index_entries()
    files = sorted({entry.split("::")[0] for entry in entries})
    assert len(entries) > 100 and len(files) > 10
    # (the project's addopts already say -q; a second one would list files instead of tests)
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-p", "no:cacheprovider", *files],
                          cwd=TESTS.parent, capture_output=True, text=True, timeout=600)
    collected = set(re.findall(r"^(tests/\S+?::.+)$", done.stdout, re.M))
    assert collected, done.stdout + done.stderr
    assert [entry for entry in entries if not any(_names(entry, node) for node in collected)] == []


def _names(entry: str, node: str) -> bool:
    """Whether the index entry names the collected test ``node``.

    ``test`` names all its cases; ``test[case]`` a case, also when other parameters add to its id.
    """
    if node == entry:
        return True
    if "[" not in entry:
        return node.startswith(entry + "[")
    base, case = entry[:-1].split("[", 1)
    return node.startswith(base + "[") and node.endswith("]") and case in node[len(base) + 1:-1].split("-")


def test_every_test_in_this_file_is_in_the_index():
    indexed = {entry.split("::")[1].split("[")[0] for entry in _index_entries() if "test_threats.py" in entry}
    tree = ast.parse(pathlib.Path(__file__).read_text())
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    assert defined == indexed


@pytest.mark.parametrize("argv, message", [
    # a whole number of 5,000 digits gave "invalid _steps value" with every digit echoed
    (["check", "2-2-2", "claims.yaml", "--after-steps", "9" * 5000], "--after-steps must be a whole number from 0 to"),
    # grade took any int: 0 or -3 TeX runs at once
    (["grade", "2-2-2", "variants.json", "--out", "o", "--workers", "0"], "--workers must be a whole number from 1"),
    (["grade", "2-2-2", "variants.json", "--out", "o", "--workers", "-3"], "--workers must be a whole number from 1"),
])
def test_count_options_out_of_range_are_one_short_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and len(err) < 300
