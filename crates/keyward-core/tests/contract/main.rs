//! The store's contract: what every storage backend must do, one module per concept,
//! each test written once against the public `Store` API and run on every backend below.
//! A test opens its own store (`Env::on(backend)`): a fresh data directory, a clock the
//! test moves, the master key in a file beside the data.
//!
//! What only the sled store has (its file lock, its files on disk, crash recovery, the
//! schema 1 fixture) is tested outside this suite: `sled_store.rs`, `crash.rs`,
//! `plaintext.rs`, `migration.rs`.

mod access;
mod archive;
mod audit;
mod deletion;
mod durability;
mod fanout;
mod key_page;
mod keys;
mod lifecycle;
mod locations;
mod mail;
mod outbox;
mod policy;
mod recently_deleted;
mod rotation;
mod settings;
mod tokens;
mod usage;
mod users;
mod verify;
mod webhooks;

keyward_testkit::contract_tests! {
    backends {
        sled => &keyward_testkit::Sled,
        postgres => &keyward_testkit::Postgres,
    }
    {
        access {
            a_management_token_authenticates_as_its_site_manager_only,
            revoked_expired_and_deactivated_tokens_stop_authenticating,
            a_manager_manages_only_their_own,
            an_admin_may_do_everything_and_changes_name_the_actor,
            a_manager_cannot_become_the_owner_and_a_new_person_becomes_the_first_admin,
        }
        archive {
            an_archive_moves_everything_and_every_secret_still_works,
            the_archive_holds_no_secret_in_clear,
            a_wrong_passphrase_or_a_damaged_archive_changes_nothing,
            import_refuses_a_store_that_is_not_empty_and_export_a_short_passphrase,
        }
        users {
            add_user_gives_admins_api_access_and_managers_none,
            email_is_unique_case_insensitively,
            user_lookup_by_email_ignores_case,
            user_lookup_by_email_works_when_the_email_starts_like_an_id,
            edit_user_changes_name_and_email_and_moves_the_email_index,
            deactivated_owner_keys_fail_with_user_deactivated_until_reactivated,
            api_access_off_fails_with_api_access_off_until_turned_back_on,
            create_key_is_refused_for_deactivated_or_access_off_owners,
            clear_user_keys_revokes_keys_and_tokens_for_good_and_turns_access_off,
        }
        locations {
            locations_add_rename_list_and_refuse_duplicate_names,
            location_keys_get_kwl_prefix_and_agency_keys_kwa,
        }
        keys {
            created_key_verifies_as_api_key_with_owner_and_scope,
            list_keys_filters_by_owner_status_and_search,
            list_keys_rejects_unknown_status,
            listings_never_contain_full_secrets,
            reveal_returns_the_secret_and_audits_without_it,
            disabled_key_fails_with_disabled_until_enabled,
            keep_resets_the_deletion_deadline,
            unknown_ids_are_not_found,
            invalid_key_names_are_refused_and_write_nothing,
            errors_serialize_as_code_and_message_and_a_refused_field,
        }
        recently_deleted {
            a_deleted_key_stops_at_once_and_comes_back_with_its_tokens,
            the_inactivity_rule_deletes_into_recently_deleted_and_30_days_later_it_is_purged,
            purge_now_clear_keys_and_regenerate_are_final,
            a_manager_sees_and_restores_only_their_own_deleted_keys,
            an_archive_carries_recently_deleted_keys_and_they_restore_in_the_new_store,
        }
        deletion {
            delete_refuses_key_used_within_30_days_unless_forced,
            delete_refuses_key_with_live_tokens_and_force_removes_them,
            delete_unused_key_needs_no_force,
        }
        key_page {
            default_order_is_newest_first,
            each_column_sorts_both_ways,
            status_sorts_by_the_badge_with_deletions_soonest_first,
            attention_puts_coming_deletions_then_rotations_then_broken_keys_first,
            pages_slice_the_sorted_list_and_count_matches,
            bad_filters_are_refused_as_in_the_full_list,
            a_page_holds_at_most_page_max_rows,
            owner_renames_move_keys_in_the_owner_order,
            pages_cover_the_list_exactly_once,
            deletion_near_follows_the_earliest_reminder_a_scheduled_reminder_and_revocation,
        }
        rotation {
            regenerate_without_grace_revokes_old_secret_and_tokens_at_once,
            regenerate_with_grace_keeps_old_secret_until_grace_ends,
            a_token_minted_with_the_old_secret_ends_with_the_old_secret,
            a_second_regeneration_keeps_the_first_secrets_promised_end,
            an_immediate_regeneration_ends_the_current_secret_but_not_earlier_promises,
        }
        tokens {
            token_verifies_as_token_expiring_in_365_days,
            token_expires_after_its_lifetime,
            revoked_token_fails_with_revoked,
            tokens_are_listed_per_key,
            disabled_key_cannot_mint_tokens,
            token_exchange_counts_as_use_and_records_failures_without_deadlocking,
            a_key_has_at_most_max_live_tokens,
            the_exchange_is_rate_limited_per_key_and_other_keys_are_unaffected,
            exchanges_are_audited_as_http_and_other_mints_as_the_store_actor,
        }
        verify {
            one_changed_character_is_malformed,
            well_formed_unknown_secret_is_not_found,
        }
        audit {
            failed_verifications_are_aggregated_into_one_audit_event_on_flush,
            failed_verifications_are_aggregated_into_one_audit_event_on_close,
            failure_summaries_are_written_when_due_never_by_a_verification,
        }
        lifecycle {
            lifecycle_reminds_at_15_7_and_1_days_then_deletes,
            lifecycle_raises_only_the_most_urgent_missed_reminder_and_moves_the_deadline,
            lifecycle_warns_before_deleting_a_key_found_long_past_its_deadline,
            lifecycle_dry_run_changes_nothing,
            lifecycle_ignores_used_keys,
            lifecycle_reminds_before_token_expiry_at_30_7_and_1_days,
            expiring_soon_says_when_as_a_person_would,
            reminder_notices_carry_a_summary_and_advice_said_as_a_person_would,
        }
        policy {
            a_key_given_an_end_expires_then,
            a_key_is_reminded_before_its_end_as_tokens_are,
            a_key_kept_always_is_never_deleted_for_inactivity,
            inactivity_days_zero_switches_the_rule_off,
            notes_and_tags_say_what_uses_a_key_and_search_finds_them,
            verification_checks_permissions,
            a_rate_limit_stops_a_runaway_key_only,
        }
        usage {
            verifications_are_counted_per_key_and_day,
            the_keys_page_carries_each_rows_last_30_days_of_valid_verifications,
        }
        settings {
            settings_default_and_updates_persist_and_invalid_are_refused,
        }
        mail {
            the_smtp_password_is_sealed_and_shown_masked,
            bad_smtp_settings_are_refused_and_change_nothing,
            without_smtp_settings_reminders_queue_no_email,
            a_reminder_queues_one_email_to_its_owner_that_survives_reopening,
            owners_without_an_address_or_deactivated_get_no_email,
            an_archive_carries_the_smtp_password_and_the_waiting_emails,
        }
        webhooks {
            add_webhook_shows_a_whsec_secret_of_32_random_bytes_once,
            reveal_webhook_secret_returns_the_same_secret_and_is_audited,
            add_webhook_for_an_unknown_user_is_not_found,
            add_webhook_refuses_entities_and_operations_outside_the_lists,
            add_webhook_refuses_each_forbidden_url_clearly_and_stores_nothing,
            loopback_in_any_spelling_is_allowed_with_allow_private,
            test_webhook_queues_a_webhook_test_message,
            test_webhook_is_refused_when_the_webhook_is_off,
            remove_webhook_deletes_its_outbox_messages_and_delivery_log,
            a_webhook_turned_off_drops_what_waits_and_queues_nothing_until_on_again,
        }
        fanout {
            creating_a_key_queues_one_api_key_created_message_without_the_secret,
            an_operation_filter_only_matches_its_own_operation,
            a_star_operation_matches_every_change_of_its_entity,
            another_users_subscription_receives_nothing,
            a_token_subscription_receives_token_created_naming_its_key,
            an_expired_token_is_announced_once_by_the_lifecycle,
            a_revoked_token_is_announced_with_its_key,
            editing_a_user_queues_user_updated,
            copying_or_revealing_a_key_queues_nothing,
            a_deactivated_users_events_are_not_queued,
            events_of_a_user_with_api_access_off_are_not_queued,
            messages_queued_before_a_user_was_blocked_are_dropped_when_due,
        }
        outbox {
            a_delivered_attempt_removes_the_message_and_logs_its_status,
            a_failed_attempt_is_retried_after_the_backoff_under_the_same_message_id,
            retry_after_replaces_the_backoff,
            a_message_failing_for_three_days_is_given_up,
            gone_turns_the_webhook_off_and_drops_its_other_messages,
            the_delivery_log_keeps_the_latest_hundred_attempts,
            sign_is_standard_webhooks_hmac_sha256,
        }
        durability {
            last_used_is_kept_in_memory_and_persisted_across_reopen,
            a_queued_message_survives_reopening_the_store,
            every_queued_key_event_has_its_key_after_reopening,
            missing_master_key_keeps_verification_but_blocks_reveal_and_create,
        }
    }
}
