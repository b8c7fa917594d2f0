-- One row per usable support ticket.
{{ valid_rows('stg_support__tickets', ['ticket_id'], ['opened_at'], required=['ticket_id'], table='tickets') }}
