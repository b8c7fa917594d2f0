-- One row per usable e-mail, call or meeting.
{{ valid_rows(
    'stg_comms__interactions', ['interaction_id'], ['occurred_at'],
    required=['interaction_id', 'channel'], table='interactions'
) }}
