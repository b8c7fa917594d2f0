-- One row per usable e-mail, call or meeting.
{{ valid_rows('stg_comms__interactions', 'interactions') }}
