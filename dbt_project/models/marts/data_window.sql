-- One row: the span the sources cover (data_start_date, as_of_date: the newest usable event, the day scores are
-- computed as of), for the Python stages, which read marts only.
select
    data_start_date,
    as_of_date
from {{ ref('int_data_window') }}
