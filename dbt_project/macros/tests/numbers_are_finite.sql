{#- Generic test: no floating-point column of the model holds NaN or an infinity. A feature that did would crash
    training ("Input X contains infinity") or silently poison a mean; the rows returned are the offending ones.
    NaN sorts above every number in DuckDB and PostgreSQL, so one comparison catches NaN and both infinities. -#}
{% test numbers_are_finite(model) -%}
    {%- set infinity = "cast('Infinity' as " ~ dbt.type_float() ~ ")" -%}
    {%- set broken = [] -%}
    {%- for column in adapter.get_columns_in_relation(model) if column.is_float() -%}
        {%- do broken.append('not (abs(' ~ column.quoted ~ ') < ' ~ infinity ~ ')') -%}
    {%- endfor -%}
    select *
    from {{ model }}
    where {{ broken | join(' or ') or 'false' }}
{%- endtest %}
